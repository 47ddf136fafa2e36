// The messages between the multi-process maxWait test and its workers, and the policy they share.

/** `hold`: the request pipeline holds delayed requests; `ignore-wait`: the control that goes on at once. */
export type WaitMode = 'hold' | 'ignore-wait'

/** A request from the test process. */
export interface WaitRequest {
  readonly id: number
  readonly mode: WaitMode
  readonly key: string
  readonly count: number
  readonly gapMs: number
  /** Epoch ms at which every worker starts firing. */
  readonly startAtMs: number
}

/** One request's fate: its index in this process, admitted or not, when it went on (epoch ms). */
export interface WaitResult {
  readonly index: number
  readonly admitted: boolean
  readonly waitMs: number
  readonly doneAtMs: number
}

export interface WaitReply {
  readonly id: number
  readonly results?: WaitResult[]
  /** Indexes of admitted requests in the order they went on. */
  readonly order?: number[]
  readonly error?: string
}

export const WAIT_POLICY = { name: 'wait', capacity: 5, refillRate: 50, maxWait: 400 } as const
