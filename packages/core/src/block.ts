// blockDuration: a key rejected once stays rejected for a while (login lockout), each block optionally longer, bounded.
import { parseDurationMs } from './duration.js'
import { SpillwayConfigError } from './errors.js'
import type { Decision, Policy } from './types.js'
import { optionNames, rejectUnknownOptions } from './validate.js'

/** `blockDuration`: a duration (ms or `'15m'`), or an escalating block `{ initial, max, factor? }`. */
export type BlockDuration = number | string | EscalatingBlock

/** Each new block of a key `factor` times (default 2) the last, from `initial` up to `max`. */
export interface EscalatingBlock {
  readonly initial: number | string
  readonly max: number | string
  /** How much longer each new block is than the one before; default 2. A number from 1 to 100. */
  readonly factor?: number
}

/** A validated block, in integer µs; part of a {@link Policy} (`policy.block`). */
export interface BlockPolicy {
  /** Length of a key's first block. */
  readonly durationUs: number
  /**
   * The longest block. Also how long a key's block level is remembered once its block is over: a key
   * rejected again within it gets a longer block.
   */
  readonly maxDurationUs: number
  /** Each new block is the last one times this (1: no escalation). */
  readonly factor: number
}

/** A key's block as a store keeps it: until when (µs, store clock) and how many blocks came before it. */
export interface BlockRecord {
  readonly untilUs: number
  readonly level: number
}

/** The new state of a bucket and its block after one decision (see {@link stepBlockedBucket}). */
export interface BlockedStep {
  readonly allowed: boolean
  readonly tatUs: number
  readonly debtUs: number
  /** µs the key stays blocked from now (0 when it is not blocked). */
  readonly blockedUs: number
  /** A new block to store (kept until `untilUs + maxDurationUs`), when this rejection started one. */
  readonly newBlock: BlockRecord | undefined
}

/** Block levels stop growing here (a block is at `max` long before). */
export const MAX_BLOCK_LEVEL = 64

/** Longest block: one year. */
const MAX_BLOCK_MS = 31_536_000_000

const ESCALATING_BLOCK_OPTIONS = optionNames<EscalatingBlock>({ initial: true, max: true, factor: true })

/**
 * Validates `blockDuration`; `undefined` when absent.
 *
 * @example
 * ```ts
 * parseBlockDuration({ initial: '1m', max: '1h' }) // { durationUs: 6e7, maxDurationUs: 3.6e9, factor: 2 }
 * ```
 */
export function parseBlockDuration(value: unknown): BlockPolicy | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number' || typeof value === 'string') {
    const durationUs = blockUs(value, 'blockDuration')
    return Object.freeze({ durationUs, maxDurationUs: durationUs, factor: 1 })
  }
  if (typeof value !== 'object' || value === null) throw invalidBlock('blockDuration', value)
  rejectUnknownOptions(value, ESCALATING_BLOCK_OPTIONS, 'blockDuration.')
  const { initial, max, factor = 2 } = value as EscalatingBlock
  const durationUs = blockUs(initial, 'blockDuration.initial')
  const maxDurationUs = blockUs(max, 'blockDuration.max')
  if (maxDurationUs < durationUs) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'blockDuration.max', max, 'must not be below initial')
  }
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 100) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'blockDuration.factor',
      factor,
      'must be from 1 to 100',
    )
  }
  return Object.freeze({ durationUs, maxDurationUs, factor })
}

function blockUs(value: unknown, option: string): number {
  const ms = parseDurationMs(value)
  if (ms === undefined || ms < 1 || ms > MAX_BLOCK_MS) throw invalidBlock(option, value)
  return Math.round(ms) * 1000
}

function invalidBlock(option: string, value: unknown): SpillwayConfigError {
  return new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    option,
    value,
    "must be a duration from 1 ms to 1 year (ms, or '30s', '15m'…), or { initial, max, factor? }",
  )
}

/**
 * Length of a key's block at `level` (0 for its first): `durationUs × factor^level`, at most
 * `maxDurationUs`, multiplied step by step (exactly as the Redis script does, so both agree to the µs).
 *
 * @example
 * ```ts
 * blockLengthUs({ durationUs: 60e6, maxDurationUs: 3600e6, factor: 2 }, 2) // 240e6
 * ```
 */
export function blockLengthUs(block: BlockPolicy, level: number): number {
  let length = block.durationUs
  for (let i = 1; i <= level && length < block.maxDurationUs; i++) length *= block.factor
  return Math.floor(Math.min(length, block.maxDurationUs))
}

/**
 * One decision on a bucket with a block, the same math as the Redis block script: while `record` blocks
 * the key (`untilUs > now`, clamped to `now + max` after a backward clock jump) the request is rejected
 * and the bucket untouched; otherwise the bucket steps as in `stepBucket`, and a rejection (of a cost the
 * bucket could ever admit) starts a block one level above the remembered one.
 *
 * @example
 * ```ts
 * const step = stepBlockedBucket(policy, block, { tatUs, record, nowUs, cost: 1 })
 * ```
 */
export function stepBlockedBucket(
  policy: Policy,
  block: BlockPolicy,
  input: {
    readonly tatUs: number | undefined
    readonly record: BlockRecord | undefined
    readonly nowUs: number
    readonly cost: number
  },
): BlockedStep {
  const { nowUs, cost, record } = input
  const tat = Math.min(Math.max(input.tatUs ?? nowUs, nowUs), nowUs + policy.burstUs)
  const untilUs = record === undefined ? nowUs : Math.min(record.untilUs, nowUs + block.maxDurationUs)
  if (untilUs > nowUs)
    return { allowed: false, tatUs: tat, debtUs: tat - nowUs, blockedUs: untilUs - nowUs, newBlock: undefined }
  const newTat = tat + cost * policy.emissionIntervalUs
  if (newTat - nowUs <= policy.burstUs) {
    return { allowed: true, tatUs: newTat, debtUs: newTat - nowUs, blockedUs: 0, newBlock: undefined }
  }
  if (cost * policy.emissionIntervalUs > policy.burstUs) {
    return { allowed: false, tatUs: tat, debtUs: tat - nowUs, blockedUs: 0, newBlock: undefined }
  }
  const level = record === undefined ? 0 : Math.min(record.level + 1, MAX_BLOCK_LEVEL)
  const lengthUs = blockLengthUs(block, level)
  const newBlock = { untilUs: nowUs + lengthUs, level }
  return { allowed: false, tatUs: tat, debtUs: tat - nowUs, blockedUs: lengthUs, newBlock }
}

/**
 * A decision of a blocked key: `Retry-After` is the later of the block's end and the bucket's own
 * retry time (so a client that waits it is admitted), nothing remains, `blockedMs` says how long the block lasts.
 *
 * @example
 * ```ts
 * const decision = withBlock(describeDecision(policy, step, cost), step.blockedUs)
 * ```
 */
export function withBlock(decision: Decision, blockedUs: number | undefined): Decision {
  if (decision.allowed || blockedUs === undefined || blockedUs <= 0) return decision
  const blockedMs = Math.ceil(blockedUs / 1000)
  return { ...decision, remaining: 0, retryAfterMs: Math.max(decision.retryAfterMs, blockedMs), blockedMs }
}
