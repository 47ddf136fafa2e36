// When a store's queued Redis work goes out: RedisStore's batches and HybridStore's lease requests, one rule.

/**
 * Schedules a store's flush, never on a timer. With none of the store's calls in flight, at the end of the
 * tick (`process.nextTick`): a lone request waits for nothing. With one in flight, after the event loop's I/O
 * callbacks of this turn (`setImmediate`): Node reads each socket in a callback of its own, so this is what
 * lets requests read from many sockets share one call instead of queueing one call each behind the call in
 * flight (over HTTP it cut Redis CPU per request about threefold; docs/design.md, *When a RedisStore batch
 * goes out*). At most one flush is pending at a time.
 *
 * @example
 * ```ts
 * const schedule = new FlushSchedule(() => this.#flush())
 * schedule.request(this.#inFlight)
 * ```
 */
export class FlushSchedule {
  readonly #flush: () => void
  #pending = false

  constructor(flush: () => void) {
    this.#flush = flush
  }

  /** Schedules the flush unless one is pending; `callsInFlight` is the store's calls not answered yet. */
  request(callsInFlight: number): void {
    if (this.#pending) return
    this.#pending = true
    if (callsInFlight === 0) process.nextTick(this.#run)
    else setImmediate(this.#run)
  }

  readonly #run = (): void => {
    this.#pending = false
    this.#flush()
  }
}
