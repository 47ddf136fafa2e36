// Heap bytes per key of the in-process stores at N keys, each in a fresh Node process with --expose-gc.
import { startChild } from '../child.js'

export interface HeapBytes {
  readonly label: string
  readonly bytesPerKey: number
}

const SCRIPTS = [
  { label: 'Spillway MemoryStore', file: 'bench/memory-store.ts' },
  { label: 'rate-limiter-flexible RateLimiterMemory', file: 'bench/memory/rlf-heap.ts' },
]

/**
 * Runs bench/memory-store.ts (Spillway) and bench/memory/rlf-heap.ts with `keys` keys and reads their "heap per key".
 *
 * @example
 * ```ts
 * const rows = await measureHeapBytes(1_000_000)
 * ```
 */
export async function measureHeapBytes(keys: number): Promise<HeapBytes[]> {
  const rows: HeapBytes[] = []
  for (const { label, file } of SCRIPTS) {
    const child = startChild(file, [String(keys)], ['--expose-gc'])
    try {
      const line = await child.nextLine('heap per key:')
      rows.push({ label, bytesPerKey: Number.parseFloat(line.trim()) })
    } finally {
      await child.stop()
    }
  }
  return rows
}
