// Client addresses: parse every literal form a proxy or socket writes, and derive the default rate-limit key.
import { isIPv4 } from 'node:net'

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
  const ip = parseAddressParts(text)
  if (ip === undefined) return undefined
  if (ip.version === 4) return ipv4Address(ip.parts)
  return {
    version: 6,
    parts: ip.parts,
    canonical: formatIPv6(ip.parts),
    embeddedIPv4: ip.embeddedIPv4 === undefined ? undefined : ipv4Address(ip.embeddedIPv4),
  }
}

/** `IpAddress` without the texts, which the per-request paths mostly do not need. */
interface AddressParts {
  readonly version: 4 | 6
  readonly parts: number[]
  readonly embeddedIPv4: number[] | undefined
}

/**
 * What `parseIpAddress` does, short of writing the canonical texts.
 * @internal Shared with the allow-list matcher.
 */
export function parseAddressParts(text: string): AddressParts | undefined {
  const host = hostOf(text)
  const parsed = host === undefined ? undefined : hostParts(host)
  if (parsed === undefined || parsed.version === 4) return parsed
  const hextets = parsed.parts
  if (isMappedIPv4(hextets)) {
    return { version: 4, parts: bytesOf(hextets[6] as number, hextets[7] as number), embeddedIPv4: undefined }
  }
  return { version: 6, parts: hextets, embeddedIPv4: embeddedIPv4Bytes(hextets) }
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
 * prefixes of the operator's own (RFC 6052 §2.3), which cannot be recognised: behind such a translator
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
  const ip = parseAddressParts(address)
  if (ip === undefined) return undefined
  if (ip.version === 4) return ip.parts.join('.')
  if (ip.embeddedIPv4 !== undefined) return ip.embeddedIPv4.join('.')
  if (subnet === false || subnet >= 128 || isLocalUseNat64(ip.parts)) return formatIPv6(ip.parts)
  return `${formatIPv6(maskHextets(ip.parts, subnet))}/${subnet}`
}

/** Peels what surrounds a host in the wild: whitespace, `[…]`, `:port`. The zone id is left to `ipv6Hextets`. */
function hostOf(text: string): string | undefined {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']')
    if (close === -1 || !isPortSuffix(trimmed, close + 1)) return undefined
    return trimmed.slice(1, close)
  }
  // Exactly one colon can only be `host:port` (IPv6 has at least two).
  const colon = trimmed.indexOf(':')
  if (colon !== -1 && colon === trimmed.lastIndexOf(':')) {
    return isPortSuffix(trimmed, colon) ? trimmed.slice(0, colon) : undefined
  }
  return trimmed
}

/** Nothing, or `:` and a port number (0–65535), from `start` to the end of `text`. */
function isPortSuffix(text: string, start: number): boolean {
  if (start === text.length) return true
  const digits = text.length - start - 1
  if (text.charCodeAt(start) !== 0x3a || digits < 1 || digits > 5) return false
  let port = 0
  for (let i = start + 1; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30
    if (digit < 0 || digit > 9) return false
    port = port * 10 + digit
  }
  return port <= 65535
}

/** Parses a host: dotted-quad IPv4 into 4 bytes, or IPv6 into 8 hextets. */
function hostParts(host: string): AddressParts | undefined {
  if (!host.includes(':')) {
    const bytes = ipv4Bytes(host, 0, host.length)
    return bytes === undefined ? undefined : { version: 4, parts: bytes, embeddedIPv4: undefined }
  }
  const hextets = ipv6Hextets(host)
  return hextets === undefined ? undefined : { version: 6, parts: hextets, embeddedIPv4: undefined }
}

/**
 * Strict dotted quad between `start` and `end`, as `net.isIPv4` accepts it (no leading zeros).
 * @internal Shared with the allow-list matcher.
 */
export function ipv4Bytes(text: string, start: number, end: number): number[] | undefined {
  const bytes: number[] = []
  let i = start
  while (bytes.length < 4) {
    const from = i
    let value = 0
    while (i < end && i - from < 4) {
      const digit = text.charCodeAt(i) - 0x30
      if (digit < 0 || digit > 9) break
      value = value * 10 + digit
      i++
    }
    const length = i - from
    if (length === 0 || length > 3 || value > 255 || (length > 1 && text.charCodeAt(from) === 0x30)) return undefined
    bytes.push(value)
    if (bytes.length < 4 && (i >= end || text.charCodeAt(i++) !== 0x2e)) return undefined
  }
  return i === end ? bytes : undefined
}

/**
 * Parses IPv6 text (any case, leading zeros, one `::`, a dotted IPv4 tail, a zone id after `%`) into
 * 8 hextets in one pass, accepting what `net.isIPv6` accepts.
 */
function ipv6Hextets(text: string): number[] | undefined {
  const zone = text.indexOf('%')
  const end = zone === -1 ? text.length : zone
  const hextets: number[] = []
  let gapAt = -1
  let i = 0
  if (text.startsWith('::')) {
    gapAt = 0
    i = 2
  }
  while (i < end) {
    const from = i
    let value = 0
    while (i < end && i - from < 5) {
      const digit = hexDigit(text.charCodeAt(i))
      if (digit === -1) break
      value = value * 16 + digit
      i++
    }
    if (i < end && text.charCodeAt(i) === 0x2e) return withIPv4Tail(hextets, gapAt, ipv4Bytes(text, from, end))
    if (i === from || i - from > 4) return undefined
    hextets.push(value)
    if (i === end) break
    if (text.charCodeAt(i) !== 0x3a) return undefined
    if (text.charCodeAt(i + 1) === 0x3a) {
      if (gapAt !== -1) return undefined
      gapAt = hextets.length
      i += 2
    } else if (++i === end) {
      return undefined
    }
  }
  return expandGap(hextets, gapAt)
}

function withIPv4Tail(hextets: number[], gapAt: number, bytes: number[] | undefined): number[] | undefined {
  if (bytes === undefined) return undefined
  const [a = 0, b = 0, c = 0, d = 0] = bytes
  hextets.push((a << 8) | b, (c << 8) | d)
  return expandGap(hextets, gapAt)
}

/** Fills the `::` at `gapAt` (-1: none) with the zero groups it stands for (at least one). */
function expandGap(hextets: number[], gapAt: number): number[] | undefined {
  if (gapAt === -1) return hextets.length === 8 ? hextets : undefined
  if (hextets.length > 7) return undefined
  hextets.splice(gapAt, 0, ...new Array<number>(8 - hextets.length).fill(0))
  return hextets
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1
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
