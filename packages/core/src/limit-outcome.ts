// What the request pipeline answers an adapter, and the errors it hands to frameworks.
import type { HeaderField } from './headers.js'
import type { FailureStage } from './rate-limit-option-types.js'
import type { CountedRequest, RequestBuckets } from './request-buckets.js'
import type { LimitResponse } from './responses.js'
import type { Decision } from './types.js'

/** What the adapter should do with a request. Data only: the adapter writes it. */
export type LimitOutcome =
  /** Not limited (skipped, allow-listed, or a failure configured to allow): no headers. */
  | { readonly kind: 'skipped' }
  /** Admitted: set `headers` and go on. */
  | {
      readonly kind: 'allowed'
      readonly decision: Decision
      readonly headers: readonly HeaderField[]
      /** This policy's count of the request (see {@link RequestBuckets}). */
      readonly counted: CountedRequest
    }
  /** Rejected: set `headers` and send `response`. `decision` is absent when the limiter could not decide. */
  | {
      readonly kind: 'rejected'
      readonly decision: Decision | undefined
      readonly headers: readonly HeaderField[]
      readonly response: LimitResponse
      /** This policy's count of the request; absent when the limiter could not decide. */
      readonly counted?: CountedRequest
    }
  /**
   * A failure configured to pass on: hand `error` to the framework's error handling. It is always a
   * {@link RateLimiterError} that says nothing of the cause (the cause went to `onError`), so no store
   * error text, host name or script hash ever reaches a client.
   */
  | { readonly kind: 'failed'; readonly error: RateLimiterError }

/** A rejected outcome: what an adapter's custom `handler` receives. */
export type RejectedOutcome = Extract<LimitOutcome, { kind: 'rejected' }>

/** Thrown (and handled per `onCallbackError`) when a key or cost function returns something unusable. */
export class InvalidRequestInputError extends TypeError {
  override readonly name = 'InvalidRequestInputError'
}

/**
 * The error adapters hand to the framework when a failure is configured to pass on (`'error'`). Its
 * message is generic on purpose; the original error is `cause` and was reported to `onError`. It
 * carries `status`/`statusCode` 500 and `expose: false`, which Express, Fastify and Koa all read.
 */
export class RateLimiterError extends Error {
  override readonly name = 'RateLimiterError'
  readonly code = 'ERR_SPILLWAY_REQUEST_FAILED'
  readonly status = 500
  readonly statusCode = 500
  readonly expose = false
  /** Where the failure happened. */
  readonly stage: FailureStage

  constructor(stage: FailureStage, cause: unknown) {
    super('The rate limiter could not decide on this request', { cause })
    this.stage = stage
  }
}
