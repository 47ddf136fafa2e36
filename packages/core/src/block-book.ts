// In-process block records (blockDuration) for MemoryStore: bounded, forgotten once their level no longer counts.
import type { BlockPolicy, BlockRecord } from './block.js'

interface Entry extends BlockRecord {
  /** When the record can go: the block's end plus the time its level is remembered. */
  readonly forgetUs: number
}

/**
 * Block records by store key. At most `maxKeys` are kept: past it the oldest record is forgotten (that
 * key's block ends early, and its next block starts again at the first level). Each write checks the
 * oldest records and drops those past their time, so idle keys leave.
 */
export class BlockBook {
  readonly #records = new Map<string, Entry>()
  readonly #maxKeys: number

  constructor(maxKeys: number) {
    this.#maxKeys = maxKeys
  }

  get size(): number {
    return this.#records.size
  }

  /** The record of `key`, if it still counts at `nowUs`. */
  get(key: string, nowUs: number): BlockRecord | undefined {
    const entry = this.#records.get(key)
    if (entry === undefined) return undefined
    if (entry.forgetUs > nowUs) return entry
    this.#records.delete(key)
    return undefined
  }

  /** Stores a new block of `key` (a new one replaces the old, and moves to the back of the queue). */
  set(key: string, record: BlockRecord, block: BlockPolicy, nowUs: number): void {
    this.#records.delete(key)
    this.#records.set(key, { ...record, forgetUs: record.untilUs + block.maxDurationUs })
    this.#sweep(nowUs)
  }

  delete(key: string): void {
    this.#records.delete(key)
  }

  clear(): void {
    this.#records.clear()
  }

  #sweep(nowUs: number): void {
    let checked = 0
    for (const [key, entry] of this.#records) {
      if (this.#records.size > this.#maxKeys || entry.forgetUs <= nowUs) this.#records.delete(key)
      else if (++checked >= 2) break
    }
  }
}
