// One HybridStore script call: builds the keys and arguments of the lease script, checks and splits its reply.
import type { Policy } from '@spillway/core'
import type { LeaseRequest } from './hybrid-key-lease.js'
import { hybridLease } from './hybrid-lease-script.js'
import { runScript } from './run-script.js'
import type { ScriptArg, ScriptRunner } from './script-runner.js'

/** One key's part of a call. */
export interface SyncItem {
  readonly redisKey: string
  readonly policy: Policy
  readonly request: LeaseRequest
}

/** What Redis answered for one item. */
export interface LeaseReply {
  readonly granted: number
  readonly debtUs: number
  readonly waitUs: number
}

/** The heartbeat part of a call: `beat` with the stale-after ms, `leave`, or nothing. */
export type FleetAction = { readonly kind: 'beat'; readonly staleMs: number } | { readonly kind: 'leave' | 'none' }

/** Everything one call carries. `anchorKey` is `KEYS[1]`: the fleet set, or any key of the call's slot. */
export interface SyncCall {
  readonly anchorKey: string
  readonly processId: string
  readonly fleet: FleetAction
  readonly items: readonly SyncItem[]
}

/** Sends `call` (`EVALSHA`, `EVAL` once on `NOSCRIPT`); resolves with N (0 without a beat) and one reply per item. */
export async function sendSyncCall(
  runner: ScriptRunner,
  call: SyncCall,
): Promise<{ fleetSize: number; replies: LeaseReply[] }> {
  const keys: string[] = [call.anchorKey]
  const args: ScriptArg[] = [call.processId, fleetArgument(call.fleet)]
  for (const { redisKey, policy, request } of call.items) {
    keys.push(redisKey)
    args.push(policy.emissionIntervalUs, policy.burstUs, request.returned, request.want, request.need)
  }
  return parseReply(await runScript(runner, hybridLease, keys, args), call.items.length)
}

function fleetArgument(fleet: FleetAction): number {
  if (fleet.kind === 'beat') return fleet.staleMs
  return fleet.kind === 'leave' ? -1 : 0
}

/** `{N, g1, debt1, wait1, …}`, integers ≥ 0; anything else throws, so a stranger's reply never becomes a lease. */
function parseReply(reply: unknown, count: number): { fleetSize: number; replies: LeaseReply[] } {
  if (!Array.isArray(reply) || reply.length !== 1 + 3 * count) throw unexpected(reply)
  const numbers = reply.map(Number)
  if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) throw unexpected(reply)
  const replies: LeaseReply[] = new Array(count)
  for (let i = 0; i < count; i++) {
    replies[i] = { granted: numbers[1 + 3 * i] ?? 0, debtUs: numbers[2 + 3 * i] ?? 0, waitUs: numbers[3 + 3 * i] ?? 0 }
  }
  return { fleetSize: numbers[0] ?? 0, replies }
}

function unexpected(reply: unknown): Error {
  const text = JSON.stringify(reply) ?? String(reply)
  return new Error(`[spillway] unexpected reply from the hybrid lease script: ${text.slice(0, 200)}`)
}
