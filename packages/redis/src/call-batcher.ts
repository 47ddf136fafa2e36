// Queues a store's Redis work and sends it as few script calls as it can (per Cluster slot), keeping Redis busy.
import { FlushSchedule } from './flush-schedule.js'
import { groupBySlot } from './key-slot.js'

/** A queued item's promise, settled with its own result once its call is answered. */
export interface Waiting<Result> {
  readonly resolve: (result: Result) => void
  readonly reject: (error: unknown) => void
}

/** How a {@link CallBatcher} sends its kind of work. */
export interface CallSender<Item, Result> {
  /** A Redis key of the item: every key of one item shares its slot. */
  readonly slotKeyOf: (item: Item) => string
  /** The decisions the item adds to a call (a call carries at most `maxBatchSize`). */
  readonly sizeOf: (item: Item) => number
  /** One script call for `items` (one slot): each item's result, in order. */
  readonly call: (items: readonly Item[]) => Promise<Result[]>
}

/**
 * A flush of at least twice this many decisions, while none of the batcher's calls is in flight, goes out
 * as two calls: Redis runs the second while this process handles the first one's answers (and sends what
 * they lead to), instead of each side waiting for the other. Once split, each answer brings back about
 * half the callers, so two calls stay in flight. Smaller flushes go whole: their overlap is short and a
 * call costs both sides a write and a read (the threshold is a judgement, not a measurement).
 */
const MIN_SPLIT_CALL_SIZE = 16

/**
 * Queues items and flushes them as {@link FlushSchedule} says (never on a timer), or at once when
 * `maxBatchSize` decisions are queued on a single node. A flush sends the items in arrival order as calls
 * of at most `maxBatchSize` decisions (an item is never split), of even sizes: on a single node, at least
 * two calls (see {@link MIN_SPLIT_CALL_SIZE}) when none is in flight; on a Cluster, per hash slot (a
 * script's keys must share a slot). Calls on one connection run in the order sent, so splitting changes no
 * decision. Nothing is ever resent.
 *
 * @example
 * ```ts
 * const batcher = new CallBatcher(runner.isCluster, 100, { slotKeyOf, sizeOf: () => 1, call })
 * batcher.add(step)
 * ```
 */
export class CallBatcher<Item extends Waiting<Result>, Result> {
  readonly #isCluster: boolean
  readonly #maxBatchSize: number
  readonly #sender: CallSender<Item, Result>
  #pending: Item[] = []
  #pendingSize = 0
  readonly #schedule = new FlushSchedule(() => this.#flush())
  /** This batcher's calls sent and not answered yet. */
  #inFlight = 0

  constructor(isCluster: boolean, maxBatchSize: number, sender: CallSender<Item, Result>) {
    this.#isCluster = isCluster
    this.#maxBatchSize = maxBatchSize
    this.#sender = sender
  }

  /** Queues `item`, settled once its call is answered: a failed call rejects each of its items with the error. */
  add(item: Item): void {
    this.#pending.push(item)
    this.#pendingSize += this.#sender.sizeOf(item)
    if (!this.#isCluster && this.#pendingSize >= this.#maxBatchSize) this.#flush()
    else this.#schedule.request(this.#inFlight)
  }

  #flush(): void {
    const pending = this.#pending
    const size = this.#pendingSize
    if (pending.length === 0) return
    this.#pending = []
    this.#pendingSize = 0
    if (this.#isCluster) {
      for (const group of groupBySlot(pending, this.#sender.slotKeyOf)) this.#sendInCalls(group, 1)
    } else {
      this.#sendInCalls(pending, this.#inFlight === 0 && size >= 2 * MIN_SPLIT_CALL_SIZE ? 2 : 1)
    }
  }

  /** Sends `items` in order as at least `minCalls` calls of at most `maxBatchSize`, sizes as even as can be. */
  #sendInCalls(items: Item[], minCalls: number): void {
    for (const call of evenCalls(items, this.#sender.sizeOf, minCalls, this.#maxBatchSize)) void this.#send(call)
  }

  async #send(items: Item[]): Promise<void> {
    this.#inFlight++
    let results: Result[]
    try {
      results = await this.#sender.call(items)
    } catch (error) {
      for (const item of items) item.reject(error)
      return
    } finally {
      this.#inFlight--
    }
    for (let i = 0; i < items.length; i++) (items[i] as Item).resolve(results[i] as Result)
  }
}

/**
 * `items` cut in order into at least `minCalls` calls of at most `max` decisions (more when items do not
 * pack): a call takes items until it holds the even share `⌈total / calls⌉` or the next would pass `max`;
 * an item larger than `max` goes alone.
 */
export function evenCalls<Item>(
  items: Item[],
  sizeOf: (item: Item) => number,
  minCalls: number,
  max: number,
): Item[][] {
  let total = 0
  for (const item of items) total += sizeOf(item)
  const calls = Math.max(minCalls, Math.ceil(total / max))
  if (calls === 1) return [items]
  const share = Math.ceil(total / calls)
  const cut: Item[][] = []
  let call: Item[] = []
  let callSize = 0
  for (const item of items) {
    const size = sizeOf(item)
    if (call.length > 0 && (callSize >= share || callSize + size > max)) {
      cut.push(call)
      call = []
      callSize = 0
    }
    call.push(item)
    callSize += size
  }
  cut.push(call)
  return cut
}
