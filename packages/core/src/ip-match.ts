// Allow lists of client addresses: single addresses and CIDR blocks, compared after ipKey's normalisation.
import { isIPv4, isIPv6 } from 'node:net'
import { SpillwayConfigError } from './errors.js'
import { formatIPv6, ipv4Bytes, maskHextets, parseAddressParts, parseIpAddress } from './ip-key.js'

/** A CIDR block in the form the matcher compares; a single address is a /32 or /128 block. */
export interface IpBlock {
  readonly version: 4 | 6
  /** The network address (host bits cleared): 4 bytes or 8 hextets. */
  readonly parts: readonly number[]
  readonly prefixLength: number
  /** `10.0.0.0/8`, `2001:db8::/32`. */
  readonly canonical: string
}

const ENTRY_EXPECTATION =
  'must be an IP address or a CIDR block such as 10.0.0.0/8 or 2001:db8::/32 (prefix 1–32 for IPv4, ' +
  '1–128 for IPv6, 97–128 for an IPv4-mapped ::ffff:a.b.c.d/n)'

/**
 * Parses one allow-list entry. A single address may be written in any form `parseIpAddress` accepts and
 * becomes the block of the client `ipKey` would key it as (`::ffff:10.0.0.5`, `64:ff9b::10.0.0.5` and
 * `10.0.0.5:80` all become `10.0.0.5/32`). A CIDR block is `address/prefix` with a bare address (no port,
 * brackets or zone) and a decimal prefix, or for IPv4 a contiguous netmask (`10.0.0.0/255.0.0.0`), as
 * proxy-addr (Express's `trust proxy`) accepts them:
 * - host bits are accepted and cleared (`127.0.0.1/8` is `127.0.0.0/8`);
 * - a block of a whole family is refused (`/0`, `::ffff:0:0/96`): with host bits allowed, a typo such as
 *   `10.0.0.0/0` for `/8` would allow everyone (use `skip` to turn limiting off);
 * - a block written in IPv4-mapped form is the IPv4 block it denotes (`::ffff:10.0.0.0/104` is
 *   `10.0.0.0/8`); below /96 it would denote no IPv4 address and match nothing, so it is refused.
 * Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * parseIpBlock('127.0.0.1/8')?.canonical           // '127.0.0.0/8'
 * parseIpBlock('::ffff:10.0.0.0/104')?.canonical   // '10.0.0.0/8'
 * parseIpBlock('[2001:db8::1]:443')?.canonical     // '2001:db8::1/128'
 * ```
 */
export function parseIpBlock(text: string): IpBlock | undefined {
  const trimmed = text.trim()
  const slash = trimmed.indexOf('/')
  if (slash === -1) return singleAddressBlock(trimmed)
  const address = trimmed.slice(0, slash)
  const prefix = trimmed.slice(slash + 1)
  if (isIPv4(address)) {
    const length = isIPv4(prefix) ? netmaskLength(prefix) : decimalPrefix(prefix, 32)
    return length === undefined ? undefined : ipv4Block(bareIPv4(address), length)
  }
  if (!isIPv6(address) || address.includes('%')) return undefined
  const ip = parseIpAddress(address)
  const length = decimalPrefix(prefix, 128)
  if (ip === undefined || length === undefined) return undefined
  if (ip.version === 6) return ipv6Block(ip.parts, length)
  return length > 96 ? ipv4Block(ip.parts, length - 96) : undefined // written IPv4-mapped
}

/**
 * Builds an allow-list test from single addresses and CIDR blocks (see `parseIpBlock`), checked once
 * here: an entry that is neither throws `SpillwayConfigError` `ERR_SPILLWAY_INVALID_OPTION` naming
 * `${option}[i]` and the entry. The returned function takes the client address in any literal form and
 * normalises it as `ipKey` does, so `::ffff:10.0.0.5` and `10.0.0.5:80` match the entry `10.0.0.5`.
 * - IPv4 blocks match IPv4 clients, whether plain, IPv4-mapped, or embedded in an IPv6 address that
 *   `ipKey` keys as IPv4 (translated, compatible, NAT64 /96, Teredo).
 * - IPv6 blocks match the IPv6 address the client came from, never an IPv4 client (plain or mapped),
 *   so `::/0` means every IPv6 client whatever the socket's family; write IPv4 blocks for IPv4 clients.
 *   An IPv6 address embedding an IPv4 matches both ways: `64:ff9b::10.0.0.5` matches `10.0.0.0/8` and
 *   `64:ff9b::/96`.
 * Addresses that are not IP addresses (and `undefined`) never match. A lookup costs one Set probe per
 * distinct prefix length in the list, however many entries it has.
 *
 * @example
 * ```ts
 * const isAllowed = createIpMatcher(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'], 'allowList')
 * isAllowed('::ffff:10.1.2.3')   // true
 * isAllowed('[2001:db8::1]:443') // true
 * isAllowed('203.0.113.8')       // false
 * ```
 */
export function createIpMatcher(entries: readonly string[], option: string): (address: string | undefined) => boolean {
  if (!Array.isArray(entries)) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, entries, 'must be an array of strings')
  }
  const v4 = new Map<number, Set<number>>()
  const v6 = new Map<number, Set<string>>()
  entries.forEach((entry: unknown, index) => {
    const block = typeof entry === 'string' ? parseIpBlock(entry) : undefined
    if (block === undefined) {
      throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', `${option}[${index}]`, entry, ENTRY_EXPECTATION)
    }
    if (block.version === 4) networksOf(v4, block.prefixLength).add(ipv4Number(block.parts))
    else networksOf(v6, block.prefixLength).add(ipv6NetworkKey(block.parts, block.prefixLength))
  })
  return ipMatcher(
    [...v4].map(([length, networks]) => ({ mask: ipv4Mask(length), networks })),
    [...v6].map(([length, networks]) => ({ length, networks })),
  )
}

interface Ipv4Table {
  readonly mask: number
  readonly networks: ReadonlySet<number>
}

interface Ipv6Table {
  readonly length: number
  readonly networks: ReadonlySet<string>
}

function ipMatcher(v4: readonly Ipv4Table[], v6: readonly Ipv6Table[]): (address: string | undefined) => boolean {
  const matchesV4 = (address: number): boolean => v4.some(({ mask, networks }) => networks.has((address & mask) >>> 0))
  const matchesV6 = (hextets: readonly number[]): boolean =>
    v6.some(({ length, networks }) => networks.has(ipv6NetworkKey(hextets, length)))
  return function isAllowedAddress(address) {
    if (address === undefined) return false
    const plain = ipv4Bytes(address, 0, address.length)
    if (plain !== undefined) return matchesV4(ipv4Number(plain))
    const ip = parseAddressParts(address)
    if (ip === undefined) return false
    if (ip.version === 4) return matchesV4(ipv4Number(ip.parts))
    if (ip.embeddedIPv4 !== undefined && matchesV4(ipv4Number(ip.embeddedIPv4))) return true
    return matchesV6(ip.parts)
  }
}

function networksOf<T>(tables: Map<number, Set<T>>, prefixLength: number): Set<T> {
  let networks = tables.get(prefixLength)
  if (networks === undefined) {
    networks = new Set<T>()
    tables.set(prefixLength, networks)
  }
  return networks
}

function singleAddressBlock(text: string): IpBlock | undefined {
  const ip = parseIpAddress(text)
  if (ip === undefined) return undefined
  if (ip.version === 4) return ipv4Block(ip.parts, 32)
  if (ip.embeddedIPv4 !== undefined) return ipv4Block(ip.embeddedIPv4.parts, 32)
  return ipv6Block(ip.parts, 128)
}

function ipv4Block(bytes: readonly number[], prefixLength: number): IpBlock {
  const network = (ipv4Number(bytes) & ipv4Mask(prefixLength)) >>> 0
  const parts = [network >>> 24, (network >>> 16) & 0xff, (network >>> 8) & 0xff, network & 0xff]
  return { version: 4, parts, prefixLength, canonical: `${parts.join('.')}/${prefixLength}` }
}

function ipv6Block(hextets: readonly number[], prefixLength: number): IpBlock {
  const parts = maskHextets(hextets, prefixLength)
  return { version: 6, parts, prefixLength, canonical: `${formatIPv6(parts)}/${prefixLength}` }
}

/** A decimal prefix length from 1 to `max`; leading zeros allowed, as proxy-addr does. */
function decimalPrefix(text: string, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined
  const length = Number(text)
  return length >= 1 && length <= max ? length : undefined
}

/** The prefix length of a contiguous IPv4 netmask (`255.255.240.0` → 20); `undefined` if not contiguous or 0. */
function netmaskLength(text: string): number | undefined {
  const mask = ipv4Number(bareIPv4(text))
  const inverted = ~mask >>> 0
  if (mask === 0 || (inverted & (inverted + 1)) !== 0) return undefined
  return 32 - Math.log2(inverted + 1)
}

/** The bytes of text that `isIPv4` accepted. */
function bareIPv4(text: string): number[] {
  return ipv4Bytes(text, 0, text.length) ?? []
}

function ipv4Number(bytes: readonly number[]): number {
  const [a = 0, b = 0, c = 0, d = 0] = bytes
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
}

function ipv4Mask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0
}

/** The hextets a /`length` block fixes, masked, as a Set key: `2001,db8` for any address in 2001:db8::/32. */
function ipv6NetworkKey(hextets: readonly number[], length: number): string {
  const groups = Math.ceil(length / 16)
  return maskHextets(hextets, length).slice(0, groups).join(',')
}
