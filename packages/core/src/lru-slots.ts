// MemoryStore's bookkeeping: theoretical arrival times in flat arrays, linked from least to most recently used.

/** The end of the list (and of the free list). */
export const NO_SLOT = -1
const INITIAL_SLOTS = 1_024

/**
 * A doubly-linked LRU list over numbered slots, each holding a key and its theoretical arrival time.
 * Every operation is O(1) (growth is amortised): nothing iterates a `Map`, whose iteration from the
 * front would walk every entry deleted since it last compacted. Slots live in typed arrays, so a
 * decision allocates nothing here, and a freed slot is reused through a free list threaded through `next`.
 *
 * @example
 * ```ts
 * const slots = new LruSlots(1_000)
 * const slot = slots.add('default\u0000203.0.113.7', 5_000_000)
 * slots.update(slot, 6_000_000) // a new time; now the most recently used
 * ```
 */
export class LruSlots {
  /** The least recently used slot, or {@link NO_SLOT}. */
  head = NO_SLOT
  private tail = NO_SLOT
  private free = NO_SLOT
  /** Slots handed out at least once; those below it are in the list or in the free list. */
  private used = 0
  private keys: string[] = []
  private tats = new Float64Array(0)
  private prevs = new Int32Array(0)
  private nexts = new Int32Array(0)

  /** @param maxSlots the most slots ever held at once; the arrays grow by doubling up to it. */
  constructor(private readonly maxSlots: number) {}

  /** The key held in `slot`. */
  key(slot: number): string {
    return this.keys[slot] as string
  }

  /** The theoretical arrival time held in `slot`, µs. */
  tatUs(slot: number): number {
    return this.tats[slot] as number
  }

  /** The slot after `slot`, toward the most recently used, or {@link NO_SLOT}. */
  next(slot: number): number {
    return this.nexts[slot] as number
  }

  /** Stores `key` with `tatUs` as the most recently used slot; returns the slot. */
  add(key: string, tatUs: number): number {
    const slot = this.takeFreeSlot()
    this.keys[slot] = key
    this.tats[slot] = tatUs
    this.append(slot)
    return slot
  }

  /** Sets the time of `slot` and makes it the most recently used. */
  update(slot: number, tatUs: number): void {
    this.tats[slot] = tatUs
    this.touch(slot)
  }

  /** Makes `slot` the most recently used. */
  private touch(slot: number): void {
    if (slot === this.tail) return
    this.unlink(slot)
    this.append(slot)
  }

  /** Frees `slot` (its key string is released). */
  remove(slot: number): void {
    this.unlink(slot)
    this.keys[slot] = ''
    this.nexts[slot] = this.free
    this.free = slot
  }

  /** Frees every slot and the arrays. */
  clear(): void {
    this.head = NO_SLOT
    this.tail = NO_SLOT
    this.free = NO_SLOT
    this.used = 0
    this.keys = []
    this.tats = new Float64Array(0)
    this.prevs = new Int32Array(0)
    this.nexts = new Int32Array(0)
  }

  private append(slot: number): void {
    this.prevs[slot] = this.tail
    this.nexts[slot] = NO_SLOT
    if (this.tail === NO_SLOT) this.head = slot
    else this.nexts[this.tail] = slot
    this.tail = slot
  }

  private unlink(slot: number): void {
    const prev = this.prevs[slot] as number
    const next = this.nexts[slot] as number
    if (prev === NO_SLOT) this.head = next
    else this.nexts[prev] = next
    if (next === NO_SLOT) this.tail = prev
    else this.prevs[next] = prev
  }

  private takeFreeSlot(): number {
    const slot = this.free
    if (slot !== NO_SLOT) {
      this.free = this.nexts[slot] as number
      return slot
    }
    if (this.used === this.tats.length) this.grow()
    return this.used++
  }

  private grow(): void {
    const length = Math.min(Math.max(INITIAL_SLOTS, this.tats.length * 2), this.maxSlots)
    if (length <= this.tats.length) throw new RangeError(`LruSlots: more than ${this.maxSlots} slots`)
    const tats = new Float64Array(length)
    const prevs = new Int32Array(length)
    const nexts = new Int32Array(length)
    tats.set(this.tats)
    prevs.set(this.prevs)
    nexts.set(this.nexts)
    this.tats = tats
    this.prevs = prevs
    this.nexts = nexts
    for (let i = this.keys.length; i < length; i++) this.keys.push('')
  }
}
