// Client addresses: parse every literal form a proxy or socket writes, and derive the default rate-limit key.
import { isIPv4, isIPv6 } from 'node:net'

/** Default IPv6 prefix length: one /64 is what a single customer usually gets. */
export const DEFAULT_IPV6_SUBNET = 64

/** An IP address parsed from text, in one canonical form whatever way it was written. */
export interface IpAddress {
  /** 4 for IPv4, including IPv4-mapped IPv6 (`::ffff:a.b.c.d`, a dual-stack socket's view of an IPv4 client). */
  readonly version: 4 | 6
  /** The 4 bytes of an IPv4 address, or the 8 hextets (16-bit groups) of an IPv6 one, most significant first. */
  readonly parts: readonly number[]
  /** Dotted quad, or RFC 5952 IPv6: lowercase hex, no leading zeros, the longest zero run as `::`, no zone. */
  readonly canonical: string
  /** The IPv4 client an IPv6 address stands for (translated, compatible, NAT64, Teredo; see `ipKey`). */
  readonly embeddedIPv4: IpAddress | undefined
}

/**
 * Parses an address literal as proxies, logs and sockets write it: `a.b.c.d`, `a.b.c.d:port`, IPv6 in any
 * valid text form (any case, leading zeros, `::`, a dotted IPv4 tail), `[v6]`, `[v6]:port`, a zone id
 * (`fe80::1%eth0`, dropped), surrounding whitespace. `[a.b.c.d]` and `[a.b.c.d]:port` are accepted too.
 * An IPv6 address without brackets is never read as having a port (`2001:db8::1:443` is one address).
 * Returns `undefined` for anything else, including a port above 65535.
 *
 * @example
 * ```ts
 * parseIpAddress('[2001:DB8::0001]:443')?.canonical // '2001:db8::1'
 * parseIpAddress('::ffff:203.0.113.7')?.version     // 4
 * parseIpAddress('64:ff9b::cb00:7107')?.embeddedIPv4?.canonical // '203.0.113.7'
 * ```
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const host = hostOf(text)
  if (host === undefined) return undefined
  if (isIPv4(host)) return ipv4Address(host.split('.').map(Number))
  const hextets = ipv6Hextets(host)
  if (hextets === undefined) return undefined
  if (isMappedIPv4(hextets)) return ipv4Address(bytesOf(hextets[6] as number, hextets[7] as number))
  const embedded = embeddedIPv4Bytes(hextets)
  return {
    version: 6,
    parts: hextets,
    canonical: formatIPv6(hextets),
    embeddedIPv4: embedded === undefined ? undefined : ipv4Address(embedded),
  }
}

/**
 * Normalises a client address into a rate-limit key: an IPv4 client is keyed by its IPv4 address, an IPv6
 * client by its subnet (`subnet` bits, RFC 5952 form: `2001:db8:1:2::/64`), so one client cannot rotate
 * through its subnet and the same client gets the same key under every adapter and proxy format.
 * Accepts every literal form `parseIpAddress` does (`203.0.113.7:5555` and `203.0.113.7:6666` are one key,
 * `[2001:db8::1]:443` and `2001:db8::1` too). Returns `undefined` when `address` is not an IP address.
 *
 * IPv6 addresses that stand for an IPv4 client are keyed as that IPv4 address: each such client gets
 * its own key (as it would over IPv4) instead of one /64 shared with every other client of the form.
 * - IPv4-mapped `::ffff:0:0/96` (a dual-stack socket), IPv4-translated `::ffff:0:0:0/96` (RFC 2765 SIIT),
 *   IPv4-compatible `::/96` (RFC 4291, deprecated) except `0.0.0.0/8`, which leaves `::` and `::1` alone.
 * - NAT64 `64:ff9b::/96` (RFC 6052 well-known prefix) and `64:ff9b:1::/96` (RFC 8215 local use): what an
 *   IPv6-only server behind a stateless translator (SIIT-DC) sees for IPv4 clients; the IPv4 address is
 *   the last 32 bits (RFC 6052 §2.2, /96 form). Elsewhere in `64:ff9b:1::/48` an operator may use a
 *   /48–/64 prefix, which puts the IPv4 bits around the u-octet (bits 64–71); which length was chosen
 *   cannot be read from the address, so such an address is keyed whole (one key per client, never a
 *   shared /64). The /96 form is recognised by zero bits 48–95: any shorter prefix with those bits zero
 *   would embed an address in 0.0.0.0/8, never a client.
 * - Teredo `2001::/32` (RFC 4380): the /64 is the Teredo server's, shared by all its clients; the key is
 *   the client's public IPv4 address (the last 32 bits, inverted).
 *
 * Left as ordinary IPv6 (grouped by `subnet`): 6to4 `2002::/16` and ISATAP, whose /64 is one subnet of one
 * site (unwrapping the IPv4 would only widen the key to the whole site), and NAT64 network-specific
 * prefixes outside `64:ff9b::/32` (RFC 6052 §2.3), which cannot be recognised: behind such a translator
 * use `ipv6Subnet: false`, or a `key` function.
 *
 * @example
 * ```ts
 * ipKey('2001:db8:1:2:aaaa::1')   // '2001:db8:1:2::/64'
 * ipKey('[2001:db8:1:2::1]:443')  // '2001:db8:1:2::/64'
 * ipKey('198.51.100.4:5555')      // '198.51.100.4'
 * ipKey('::ffff:198.51.100.4')    // '198.51.100.4'
 * ipKey('64:ff9b::c633:6404')     // '198.51.100.4'
 * ```
 */
export function ipKey(address: string | undefined, subnet: number | false = DEFAULT_IPV6_SUBNET): string | undefined {
  if (address === undefined) return undefined
  // Cheap paths first: what Node reports for IPv4 sockets and for IPv4 clients of dual-stack sockets.
  if (isIPv4(address)) return address
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7)
  const ip = parseIpAddress(address)
  if (ip === undefined) return undefined
  if (ip.version === 4) return ip.canonical
  if (ip.embeddedIPv4 !== undefined) return ip.embeddedIPv4.canonical
  if (subnet === false || subnet >= 128 || isLocalUseNat64(ip.parts)) return ip.canonical
  return `${formatIPv6(maskHextets(ip.parts, subnet))}/${subnet}`
}

const PORT = /^\d{1,5}$/

/** Peels what surrounds a host in the wild: whitespace, `[…]`, `:port`. The zone id is left to `ipv6Hextets`. */
function hostOf(text: string): string | undefined {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']')
    if (close === -1 || !isPortSuffix(trimmed.slice(close + 1))) return undefined
    return trimmed.slice(1, close)
  }
  // Exactly one colon can only be `host:port` (IPv6 has at least two).
  const colon = trimmed.indexOf(':')
  if (colon !== -1 && colon === trimmed.lastIndexOf(':')) {
    return isPortSuffix(trimmed.slice(colon)) ? trimmed.slice(0, colon) : undefined
  }
  return trimmed
}

function isPortSuffix(rest: string): boolean {
  if (rest === '') return true
  const port = rest.slice(1)
  return rest.startsWith(':') && PORT.test(port) && Number(port) <= 65535
}

/** Expands an IPv6 literal (possibly with `::`, a dotted IPv4 tail and a zone id) into 8 numbers. */
function ipv6Hextets(text: string): number[] | undefined {
  const zone = text.indexOf('%')
  const bare = zone === -1 ? text : text.slice(0, zone)
  if (!isIPv6(bare)) return undefined
  const gap = bare.indexOf('::')
  if (gap === -1) return hextetsOfGroups(bare)
  const left = hextetsOfGroups(bare.slice(0, gap))
  const right = hextetsOfGroups(bare.slice(gap + 2))
  return left.concat(new Array<number>(8 - left.length - right.length).fill(0), right)
}

function hextetsOfGroups(part: string): number[] {
  const hextets: number[] = []
  if (part === '') return hextets
  for (const group of part.split(':')) {
    if (group.includes('.')) {
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
      hextets.push((a << 8) | b, (c << 8) | d)
    } else {
      hextets.push(Number.parseInt(group, 16))
    }
  }
  return hextets
}

function ipv4Address(bytes: number[]): IpAddress {
  return { version: 4, parts: bytes, canonical: bytes.join('.'), embeddedIPv4: undefined }
}

function bytesOf(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff]
}

/** `::ffff:a.b.c.d`: not an IPv6 client at all, but an IPv4 one seen through a dual-stack socket. */
function isMappedIPv4(h: readonly number[]): boolean {
  return h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff
}

/** The IPv4 client inside a translated, compatible, NAT64 (/96) or Teredo address; see `ipKey`. */
function embeddedIPv4Bytes(h: readonly number[]): number[] | undefined {
  const [h0, h1, h2, h3, h4, h5, h6 = 0, h7 = 0] = h
  if (h0 === 0 && h1 === 0 && h2 === 0 && h3 === 0) {
    if (h4 === 0xffff && h5 === 0) return bytesOf(h6, h7) // ::ffff:0:a.b.c.d, IPv4-translated
    if (h4 === 0 && h5 === 0 && h6 >= 0x100) return bytesOf(h6, h7) // ::a.b.c.d, IPv4-compatible
    return undefined
  }
  if (h0 === 0x64 && h1 === 0xff9b && (h2 === 0 || h2 === 1) && h3 === 0 && h4 === 0 && h5 === 0) {
    return bytesOf(h6, h7) // 64:ff9b::/96 and 64:ff9b:1::/96
  }
  if (h0 === 0x2001 && h1 === 0) return bytesOf(~h6 & 0xffff, ~h7 & 0xffff) // Teredo
  return undefined
}

/** `64:ff9b:1::/48` outside its /96: an RFC 6052 prefix of unknown length, so the address is keyed whole. */
function isLocalUseNat64(h: readonly number[]): boolean {
  return h[0] === 0x64 && h[1] === 0xff9b && h[2] === 1
}

/**
 * Clears every bit after the first `prefixLength` of an IPv6 address.
 * @internal Shared with the allow-list matcher.
 */
export function maskHextets(hextets: readonly number[], prefixLength: number): number[] {
  return hextets.map((hextet, index) => {
    const bitsKept = Math.min(16, Math.max(0, prefixLength - index * 16))
    return bitsKept === 0 ? 0 : hextet & ((0xffff << (16 - bitsKept)) & 0xffff)
  })
}

/**
 * RFC 5952 form: lowercase, leading zeros dropped, the longest run of ≥ 2 zero groups as `::`.
 * @internal Shared with the allow-list matcher.
 */
export function formatIPv6(hextets: readonly number[]): string {
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
