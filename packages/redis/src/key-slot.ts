// Redis Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag, or of the whole key, mod 16384.

const TABLE = buildTable()

function buildTable(): Uint16Array {
  const table = new Uint16Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[byte] = crc
  }
  return table
}

/**
 * The slot Redis Cluster puts `key` in, as `CLUSTER KEYSLOT` computes it: only the part between the
 * first `{` and the next `}` is hashed when that part is not empty. The key is hashed as UTF-8 bytes.
 *
 * @example
 * ```ts
 * keySlot('spillway:api:{203.0.113.7}') === keySlot('spillway:login:{203.0.113.7}') // true
 * ```
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8')
  let start = 0
  let end = bytes.length
  const open = bytes.indexOf(0x7b) // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1) // }
    if (close > open + 1) {
      start = open + 1
      end = close
    }
  }
  let crc = 0
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number)
  return crc & 0x3fff
}

/**
 * `items` in order, split by the hash slot of each one's key (order kept within a slot): a script's keys
 * must share one slot on a Cluster.
 *
 * @example
 * ```ts
 * for (const group of groupBySlot(steps, (step) => step.key)) send(group)
 * ```
 */
export function groupBySlot<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const bySlot = new Map<number, T[]>()
  for (const item of items) {
    const slot = keySlot(keyOf(item))
    const group = bySlot.get(slot)
    if (group === undefined) bySlot.set(slot, [item])
    else group.push(item)
  }
  return [...bySlot.values()]
}
