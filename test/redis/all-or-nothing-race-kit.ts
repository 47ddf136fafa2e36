// What the all-or-nothing race test and its worker processes share: policies, request kinds, messages.

/** The policies of the race: an app-wide one, and two route policies stricter than it. */
export const RACE_POLICIES = {
  global: { name: 'global', capacity: 50 },
  login: { name: 'login', capacity: 10 },
  api: { name: 'api', capacity: 10 },
} as const

/** Which policies each kind of request is under. */
export const REQUEST_KINDS = {
  login: ['global', 'login'],
  api: ['global', 'api'],
  both: ['global', 'login', 'api'],
} as const satisfies Record<string, readonly (keyof typeof RACE_POLICIES)[]>

export type RequestKind = keyof typeof REQUEST_KINDS

/** A request from the test process: `perKind` requests of each kind, fired in waves `gapMs` apart from `startAtMs`. */
export interface AllOrNothingRequest {
  readonly id: number
  /** `atomic`: `consumeAll`; `sequential`: one `consume` per policy in turn, stopping at the first rejection. */
  readonly mode: 'atomic' | 'sequential'
  readonly identity: string
  readonly perKind: number
  readonly wave: number
  /** Pause between waves: long enough that the workers' waves overlap at Redis even when one starts late. */
  readonly gapMs: number
  readonly startAtMs: number
}

export interface AllOrNothingReply {
  readonly id: number
  readonly admitted?: Record<RequestKind, number>
  readonly error?: string
}
