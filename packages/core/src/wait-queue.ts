// Holds requests admitted on credit until their tokens are there: per key, released in arrival order.
import type { RawResponse } from './count-by-outcome.js'

/** One held request. */
interface Waiter {
  readonly wakeAtMs: number
  readonly settle: (released: boolean) => void
  done: boolean
}

/** The held requests of one key, oldest first, and the one timer that releases them. */
interface KeyWaiters {
  readonly waiters: Waiter[]
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * The requests of one policy that wait for tokens reserved on credit (`maxWait`). One timer per key
 * with waiters, none otherwise: the map holds only keys with someone waiting, so it is bounded by the
 * requests in flight. Only the oldest waiter of a key is released, once its own wait is over on the
 * monotonic clock; those behind it follow as soon as theirs is over too. So a request never goes on
 * before an earlier one of the same key (the store reserved their tokens in that order; on Redis two
 * replies can arrive out of step), nor before its own tokens are there. A waiter that leaves unblocks
 * those behind it.
 *
 * @example
 * ```ts
 * const released = await queue.hold('203.0.113.7', decision.waitMs ?? 0, res)
 * if (!released) await limiter.refund('203.0.113.7') // the client went away
 * ```
 */
export class WaitQueue {
  readonly #byKey = new Map<string, KeyWaiters>()
  readonly #nowMs: () => number

  constructor(nowMs: () => number = () => performance.now()) {
    this.#nowMs = nowMs
  }

  /** Keys with a request waiting (for tests and metrics). */
  get size(): number {
    return this.#byKey.size
  }

  /**
   * True while a request of `key` is held. A later request of that key queues behind it even when its own
   * tokens are there already: after an event-loop stall it would otherwise go on first.
   */
  isHolding(key: string): boolean {
    return this.#byKey.has(key)
  }

  /**
   * Resolves `true` once `waitMs` have passed and every earlier request of `key` was released, or
   * `false` as soon as `raw` closes first (the client went away). Never rejects.
   */
  hold(key: string, waitMs: number, raw?: RawResponse): Promise<boolean> {
    if (raw !== undefined && isClosed(raw)) return Promise.resolve(false)
    return new Promise((resolve) => {
      const queue = this.#queueOf(key)
      const waiter: Waiter = { wakeAtMs: this.#nowMs() + waitMs, settle: resolve, done: false }
      queue.waiters.push(waiter)
      raw?.once('close', () => this.#abandon(key, queue, waiter))
      if (queue.timer === undefined) this.#arm(key, queue)
    })
  }

  #queueOf(key: string): KeyWaiters {
    let queue = this.#byKey.get(key)
    if (queue === undefined) {
      queue = { waiters: [], timer: undefined }
      this.#byKey.set(key, queue)
    }
    return queue
  }

  /** Sets the key's timer for its oldest waiter (a timer may fire a little early: it re-arms then). */
  #arm(key: string, queue: KeyWaiters): void {
    const head = queue.waiters[0]
    if (head === undefined) {
      this.#byKey.delete(key)
      return
    }
    const delayMs = Math.max(0, Math.ceil(head.wakeAtMs - this.#nowMs()))
    queue.timer = setTimeout(() => this.#release(key, queue), delayMs)
  }

  #release(key: string, queue: KeyWaiters): void {
    queue.timer = undefined
    const nowMs = this.#nowMs()
    while (queue.waiters.length > 0 && (queue.waiters[0] as Waiter).wakeAtMs <= nowMs) {
      const waiter = queue.waiters.shift() as Waiter
      waiter.done = true
      waiter.settle(true)
    }
    this.#arm(key, queue)
  }

  #abandon(key: string, queue: KeyWaiters, waiter: Waiter): void {
    if (waiter.done) return
    waiter.done = true
    const index = queue.waiters.indexOf(waiter)
    if (index >= 0) queue.waiters.splice(index, 1)
    if (index === 0 && queue.timer !== undefined) {
      clearTimeout(queue.timer)
      queue.timer = undefined
      this.#arm(key, queue)
    }
    waiter.settle(false)
  }
}

/** True when the response's connection is already gone (a Node `ServerResponse` says so). */
function isClosed(raw: RawResponse): boolean {
  const state = raw as { destroyed?: boolean; closed?: boolean; writableFinished?: boolean }
  return state.destroyed === true || state.closed === true
}
