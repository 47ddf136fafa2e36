// A time budget for user functions: a promise that has not settled in time is treated as a failure.
import type { FailureStage } from './rate-limit-option-types.js'

/** A user function (key, cost, skip, allowList, body) whose promise did not settle within `callbackTimeoutMs`. */
export class CallbackTimeoutError extends Error {
  override readonly name = 'CallbackTimeoutError'
  readonly code = 'ERR_SPILLWAY_CALLBACK_TIMEOUT'

  constructor(stage: FailureStage, budgetMs: number) {
    super(`[spillway] the ${stage} function did not settle within callbackTimeoutMs (${budgetMs} ms)`)
  }
}

/**
 * Resolves like `value`, or rejects with a {@link CallbackTimeoutError} after `budgetMs`. The timer is
 * cleared as soon as `value` settles and never keeps the process alive.
 *
 * @example
 * ```ts
 * const key = await withinBudget(lookUpTenant(request), 1000, 'key')
 * ```
 */
export function withinBudget<T>(value: PromiseLike<T> | T, budgetMs: number, stage: FailureStage): Promise<T> {
  return settleWithin(value, budgetMs, () => new CallbackTimeoutError(stage, budgetMs))
}

/**
 * Resolves or rejects like `value`, or rejects with `timeoutError()` once `ms` have passed first. The timer
 * is cleared as soon as `value` settles and never keeps the process alive; a late settlement is ignored.
 *
 * @example
 * ```ts
 * const reply = await settleWithin(client.evalsha(sha, 1, key), 50, () => new Error('Redis took over 50 ms'))
 * ```
 */
export function settleWithin<T>(value: PromiseLike<T> | T, ms: number, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), ms)
    timer.unref?.()
    Promise.resolve(value).then(
      (settled) => {
        clearTimeout(timer)
        resolve(settled)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
