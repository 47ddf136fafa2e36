// The default key: the client address, IPv4-mapped IPv6 unwrapped and IPv6 grouped by subnet.
import { isIPv4, isIPv6 } from 'node:net'

/** Default IPv6 prefix length: one /64 is what a single customer usually gets. */
export const DEFAULT_IPV6_SUBNET = 64

/**
 * Normalises a client address into a rate-limit key: IPv4 as is (also when it arrives IPv4-mapped,
 * `::ffff:203.0.113.7`), IPv6 masked to `subnet` bits in compressed form (`2001:db8:1:2::/64`), so one
 * client cannot rotate through its subnet, and the same client gets the same key under every adapter.
 * Returns `undefined` when `address` is not an IP address.
 *
 * @example
 * ```ts
 * ipKey('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 * ipKey('::ffff:198.51.100.4')  // '198.51.100.4'
 * ```
 */
export function ipKey(address: string | undefined, subnet: number | false = DEFAULT_IPV6_SUBNET): string | undefined {
  if (address === undefined) return undefined
  const bare = address.replace(/%.*$/, '')
  if (isIPv4(bare)) return bare
  if (!isIPv6(bare)) return undefined
  const hextets = parseIPv6(bare)
  const mapped = mappedIPv4(hextets)
  if (mapped !== undefined) return mapped
  if (subnet === false || subnet >= 128) return formatIPv6(hextets)
  return `${formatIPv6(maskHextets(hextets, subnet))}/${subnet}`
}

/** Expands a valid IPv6 address (possibly with `::` and a trailing dotted IPv4) into 8 numbers. */
function parseIPv6(address: string): number[] {
  const [head = '', tail] = address.split('::') as [string, string | undefined]
  const toHextets = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap(hextetsOfGroup))
  const left = toHextets(head)
  const right = tail === undefined ? [] : toHextets(tail)
  const zeros = new Array<number>(8 - left.length - right.length).fill(0)
  return [...left, ...zeros, ...right]
}

function hextetsOfGroup(group: string): number[] {
  if (!group.includes('.')) return [Number.parseInt(group, 16)]
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
  return [(a << 8) | b, (c << 8) | d]
}

/** `::ffff:a.b.c.d` is an IPv4 client seen through a dual-stack socket: key it as the IPv4 address. */
function mappedIPv4(hextets: number[]): string | undefined {
  const isMapped = hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff
  if (!isMapped) return undefined
  const high = hextets[6] as number
  const low = hextets[7] as number
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
}

function maskHextets(hextets: number[], prefixLength: number): number[] {
  return hextets.map((hextet, index) => {
    const bitsKept = Math.min(16, Math.max(0, prefixLength - index * 16))
    return bitsKept === 0 ? 0 : hextet & ((0xffff << (16 - bitsKept)) & 0xffff)
  })
}

/** RFC 5952 form: lowercase, leading zeros dropped, the longest run of ≥ 2 zero groups as `::`. */
function formatIPv6(hextets: number[]): string {
  let bestStart = -1
  let bestLength = 1
  for (let start = 0; start < 8; start++) {
    let length = 0
    while (start + length < 8 && hextets[start + length] === 0) length++
    if (length > bestLength) {
      bestStart = start
      bestLength = length
    }
  }
  const groups = hextets.map((h) => h.toString(16))
  if (bestStart === -1) return groups.join(':')
  const left = groups.slice(0, bestStart).join(':')
  const right = groups.slice(bestStart + bestLength).join(':')
  return `${left}::${right}`
}
