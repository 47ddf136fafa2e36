// The redis-benchmark ceilings for Spillway's scripts: their settings, shared by the runner and the report.
import type { LibraryCaseSpec } from './contenders.js'

/** Calls each redis-benchmark connection keeps in flight (`-P`). */
export const PIPELINE = 16
export const CONNECTIONS = 100
/** Keys are `bench:{N}` with N random below this (`-r`), as the worker's 1,000 keys. */
export const KEY_RANGE = 1000
/** Keys per call of the batch ceiling: calls/s × this = decisions/s. */
export const BATCH_KEYS = 64

export interface Ceiling extends LibraryCaseSpec {
  /** 1: `tokenBucketScript`; more: `tokenBucketBatchScript` with this many keys per call. */
  readonly keysPerCall: number
  /** Calls per round: [with --quick, without]. */
  readonly calls: readonly [number, number]
}

export const CEILINGS: readonly Ceiling[] = [
  {
    id: 'library-redis-benchmark',
    label: `redis-benchmark -P ${PIPELINE}, tokenBucketScript (ceiling)`,
    redis: true,
    contender: 'ceiling',
    keysPerCall: 1,
    calls: [100_000, 400_000],
  },
  {
    id: 'library-redis-benchmark-batch',
    label: `redis-benchmark -P ${PIPELINE}, tokenBucketBatchScript × ${BATCH_KEYS} keys (ceiling)`,
    redis: true,
    contender: 'ceiling',
    keysPerCall: BATCH_KEYS,
    calls: [5_000, 20_000],
  },
]
