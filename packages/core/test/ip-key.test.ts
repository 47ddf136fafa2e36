// The default key: one bucket per IPv4 client (however it is written or embedded), one per IPv6 /64.
import { isIPv4, isIPv6 } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ipKey } from '../src/index.js'
import { parseIpAddress } from '../src/ip-key.js'

describe('ipKey', () => {
  it('keys an IPv4 client the same whether it arrives plain or IPv4-mapped on a dual-stack socket', () => {
    expect(ipKey('198.51.100.4')).toBe('198.51.100.4')
    expect(ipKey('::ffff:198.51.100.4')).toBe('198.51.100.4')
    expect(ipKey('::FFFF:c633:6404')).toBe('198.51.100.4')
  })

  it('gives different IPv4-mapped clients different keys (no shared /64 for all IPv4)', () => {
    expect(ipKey('::ffff:198.51.100.4')).not.toBe(ipKey('::ffff:198.51.100.5'))
  })

  it('groups an IPv6 /64 into one key, in one canonical form', () => {
    const a = ipKey('2001:db8:1:2:aaaa:bbbb:cccc:1')
    expect(a).toBe('2001:db8:1:2::/64')
    expect(ipKey('2001:0DB8:0001:0002:0000:0000:0000:9')).toBe(a)
    expect(ipKey('2001:db8:1:3::1')).not.toBe(a)
  })

  it('honours another prefix length, or none', () => {
    expect(ipKey('2001:db8:1:2::1', 48)).toBe('2001:db8:1::/48')
    expect(ipKey('2001:db8:1:2::1', 56)).toBe('2001:db8:1::/56')
    expect(ipKey('2001:db8:1:2ff::1', 56)).toBe('2001:db8:1:200::/56')
    expect(ipKey('2001:db8:1:2::1', false)).toBe('2001:db8:1:2::1')
  })

  it('drops a zone id and refuses what is not an address', () => {
    expect(ipKey('fe80::1%eth0', false)).toBe('fe80::1')
    expect(ipKey('not-an-ip')).toBeUndefined()
    expect(ipKey(undefined)).toBeUndefined()
  })
})

// [address as received, subnet, expected key]
const literalForms: [string, number | false, string | undefined][] = [
  ['203.0.113.7:5555', 64, '203.0.113.7'],
  ['203.0.113.7:6666', 64, '203.0.113.7'],
  ['203.0.113.7:0', 64, '203.0.113.7'],
  ['203.0.113.7:65535', 64, '203.0.113.7'],
  [' 203.0.113.7 ', 64, '203.0.113.7'],
  ['\t203.0.113.7\n', 64, '203.0.113.7'],
  ['[203.0.113.7]:5555', 64, '203.0.113.7'],
  ['[2001:db8::1]', 64, '2001:db8::/64'],
  ['[2001:db8::1]:443', 64, '2001:db8::/64'],
  ['[2001:DB8::1]:443', false, '2001:db8::1'],
  [' [2001:db8::1]:443 ', false, '2001:db8::1'],
  ['[fe80::1%eth0]:80', false, 'fe80::1'],
  ['[fe80::1%25eth0]', false, 'fe80::1'],
  ['[::ffff:203.0.113.7]:5555', 64, '203.0.113.7'],
  ['  ::ffff:203.0.113.7', 64, '203.0.113.7'],
  // Not literals of one address: left to the caller (the request pipeline keys them verbatim).
  ['203.0.113.7:65536', 64, undefined],
  ['203.0.113.7:', 64, undefined],
  ['203.0.113.7:80x', 64, undefined],
  ['[2001:db8::1', 64, undefined],
  ['[2001:db8::1]x', 64, undefined],
  ['[2001:db8::1]:', 64, undefined],
  ['[not-an-ip]:80', 64, undefined],
  ['localhost:80', 64, undefined],
  ['203.0.113.7%eth0', 64, undefined],
  ['', 64, undefined],
  ['1:2:3:4:5:6:7:8::', 64, undefined],
  ['::1:2:3:4:5:6:7:8', 64, undefined],
  ['1:2:3:4:5:6:7', 64, undefined],
  ['1::2::3', 64, undefined],
  [':1::', 64, undefined],
  ['1:::2', 64, undefined],
  ['12345::1', 64, undefined],
  ['g::1', 64, undefined],
  ['::1.2.3', 64, undefined],
  ['::01.2.3.4', 64, undefined],
  ['1:2:3:4:5:6:7:1.2.3.4', 64, undefined],
  ['1.2.3.4::', 64, undefined],
  ['1.2.3.04', 64, undefined],
  ['1.2.3.4.5', 64, undefined],
  // Without brackets a trailing group is part of the address, never a port.
  ['2001:db8::1:443', false, '2001:db8::1:443'],
]

// [address, expected key with the default /64]
const embeddedIPv4: [string, string][] = [
  ['::ffff:0:203.0.113.7', '203.0.113.7'], // IPv4-translated (RFC 2765)
  ['::FFFF:0:CB00:7107', '203.0.113.7'],
  ['::203.0.113.7', '203.0.113.7'], // IPv4-compatible (RFC 4291, deprecated)
  ['0:0:0:0:0:0:cb00:7107', '203.0.113.7'],
  ['::1.0.0.0', '1.0.0.0'],
  ['64:ff9b::203.0.113.7', '203.0.113.7'], // NAT64 well-known prefix (RFC 6052)
  ['64:ff9b::cb00:7107', '203.0.113.7'],
  ['[64:ff9b::cb00:7107]:443', '203.0.113.7'],
  ['64:ff9b:1::203.0.113.7', '203.0.113.7'], // NAT64 local-use prefix in its /96 form (RFC 8215)
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '192.0.2.45'], // Teredo: client 192.0.2.45, inverted
  ['2001::4136:e378:8000:63bf:3fff:fdd2', '192.0.2.45'],
]

// Addresses that stay IPv6 and keep today's /64 grouping (documented decisions, not new behaviour).
const ordinaryIPv6: [string, string][] = [
  ['::', '::/64'],
  ['::1', '::/64'],
  ['::0.255.255.255', '::/64'], // 0.0.0.0/8 is not an IPv4-compatible client
  ['2002:cb00:7107:1::1', '2002:cb00:7107:1::/64'], // 6to4: the /64 is one subnet of one site
  ['64:ff9b:2::cb00:7107', '64:ff9b:2::/64'], // outside 64:ff9b::/96 and 64:ff9b:1::/48
]

describe('ipKey: address literals', () => {
  it.each(literalForms)('%j (subnet %s) → %s', (address, subnet, expected) => {
    expect(ipKey(address, subnet)).toBe(expected)
  })
})

describe('ipKey: IPv4 clients embedded in IPv6', () => {
  it.each(embeddedIPv4)('%s → %s', (address, expected) => {
    expect(ipKey(address)).toBe(expected)
    expect(ipKey(address, false)).toBe(expected)
  })

  it.each(ordinaryIPv6)('%s stays IPv6: %s', (address, expected) => {
    expect(ipKey(address)).toBe(expected)
  })

  it('gives two IPv4 clients behind one translator or Teredo server two keys', () => {
    const pairs = [
      ['::ffff:0:203.0.113.7', '::ffff:0:203.0.113.8'],
      ['::203.0.113.7', '::203.0.113.8'],
      ['64:ff9b::203.0.113.7', '64:ff9b::203.0.113.8'],
      ['64:ff9b:1::203.0.113.7', '64:ff9b:1::203.0.113.8'],
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:4136:e378:8000:63bf:3fff:fdd1'],
    ]
    for (const [a, b] of pairs) expect(ipKey(a)).not.toBe(ipKey(b))
  })

  it('keys a 64:ff9b:1::/48 address of unknown prefix length whole: one key per client, no shared /64', () => {
    // 203.0.113.7 and .8 under the /56 prefix 64:ff9b:1:ab00::/56 (RFC 6052 §2.2: u-octet at bits 64–71).
    expect(ipKey('64:ff9b:1:abcb:0:7107::')).toBe('64:ff9b:1:abcb:0:7107::')
    expect(ipKey('64:ff9b:1:abcb:0:7108::')).toBe('64:ff9b:1:abcb:0:7108::')
    expect(ipKey('64:FF9B:0001:ABCB:0000:7107:0000:0000', 48)).toBe('64:ff9b:1:abcb:0:7107::')
  })
})

describe('parseIpAddress', () => {
  it('returns the version, the parts and one canonical text', () => {
    expect(parseIpAddress(' 203.0.113.7:80 ')).toEqual({
      version: 4,
      parts: [203, 0, 113, 7],
      canonical: '203.0.113.7',
      embeddedIPv4: undefined,
    })
    expect(parseIpAddress('[2001:DB8:0:0:1:0:0:1]:443')).toEqual({
      version: 6,
      parts: [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1],
      canonical: '2001:db8::1:0:0:1',
      embeddedIPv4: undefined,
    })
    expect(parseIpAddress('::ffff:198.51.100.4')?.version).toBe(4)
    expect(parseIpAddress('64:ff9b::198.51.100.4')).toMatchObject({
      version: 6,
      canonical: '64:ff9b::c633:6404',
      embeddedIPv4: { version: 4, canonical: '198.51.100.4' },
    })
    expect(parseIpAddress('not-an-ip')).toBeUndefined()
  })
})

const hextets = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
/** Addresses with runs of zero groups, so that `::` compression gets exercised. */
const sparseHextets = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
})
const ipv4Bytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 })

/** Any valid text form of an IPv6 address: per-group padding and case, any zero run as `::`, a dotted tail. */
function ipv6Text(groups: number[], choice: { pads: number[]; upper: boolean[]; run: number; dotted: boolean }) {
  const texts = groups.map((group, i) => {
    const hex = group.toString(16).padStart(choice.pads[i] ?? 1, '0')
    return choice.upper[i] ? hex.toUpperCase() : hex
  })
  const tail = choice.dotted
    ? [`${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`]
    : texts.slice(6)
  const head = texts.slice(0, 6)
  const all = [...head, ...tail]
  const slots = choice.dotted ? 6 : 8
  const zeroRuns: [number, number][] = []
  for (let start = 0; start < slots; start++) {
    for (let end = start + 1; end <= slots && groups[end - 1] === 0; end++) zeroRuns.push([start, end])
  }
  if (zeroRuns.length === 0) return all.join(':')
  const [start, end] = zeroRuns[choice.run % zeroRuns.length]!
  return `${all.slice(0, start).join(':')}::${all.slice(end).join(':')}`
}

const textChoice = fc.record({
  pads: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
  upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  run: fc.nat(),
  dotted: fc.boolean(),
})
const port = fc.integer({ min: 0, max: 65535 })
const subnet = fc.oneof(fc.integer({ min: 1, max: 128 }), fc.constant(false as const))

describe('ipKey properties', () => {
  it('gives every text form of one IPv6 address the same key, bracketed or not, with or without a port', () => {
    fc.assert(
      fc.property(fc.oneof(hextets, sparseHextets), textChoice, textChoice, port, subnet, (h, a, b, p, s) => {
        const key = ipKey(ipv6Text(h, a), s)
        expect(key).toBeDefined()
        expect(ipKey(ipv6Text(h, b), s)).toBe(key)
        expect(ipKey(`[${ipv6Text(h, b)}]`, s)).toBe(key)
        expect(ipKey(`[${ipv6Text(h, b)}]:${p}`, s)).toBe(key)
        expect(ipKey(` ${ipv6Text(h, b)}\t`, s)).toBe(key)
      }),
      { numRuns: 500 },
    )
  })

  it('keys every written and embedded form of an IPv4 client as that IPv4 address', () => {
    fc.assert(
      fc.property(ipv4Bytes, port, subnet, (bytes, p, s) => {
        const v4 = bytes.join('.')
        const hex = `${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`
        const forms = [`${v4}:${p}`, `[${v4}]:${p}`, `::ffff:${v4}`, `[::FFFF:${hex}]:${p}`, `::ffff:0:${v4}`]
        forms.push(`64:ff9b::${hex}`, `64:ff9b:1::${v4}`)
        if (bytes[0] !== 0) forms.push(`::${v4}`)
        for (const form of forms) expect(ipKey(form, s)).toBe(v4)
      }),
      { numRuns: 300 },
    )
  })

  it('is a fixed point: the key of a whole address is a canonical address with the same key', () => {
    fc.assert(
      fc.property(fc.oneof(hextets, sparseHextets), textChoice, subnet, (h, choice, s) => {
        const whole = ipKey(ipv6Text(h, choice), false)!
        expect(ipKey(whole, false)).toBe(whole)
        expect(parseIpAddress(whole)).toBeDefined()
        expect(ipKey(whole, s)).toBe(ipKey(ipv6Text(h, choice), s))
      }),
      { numRuns: 300 },
    )
  })
})

/** Strings made of address-like pieces: mostly invalid, often valid, never a `host:port` (one colon). */
const addressLike = fc
  .array(
    fc.constantFrom('0', '1', 'a', 'F', '00', '01', '0000', 'ffff', '12345', '255', '256', '1.2.3.4', ':', '::', '.'),
    {
      maxLength: 16,
    },
  )
  .map((pieces) => pieces.join(''))
  .filter((text) => text.split(':').length !== 2)

describe('parseIpAddress against Node', () => {
  it('accepts exactly what net.isIPv4 / net.isIPv6 accept, and writes IPv6 as the WHATWG URL parser does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          addressLike,
          fc.oneof(hextets, sparseHextets).chain((h) => textChoice.map((c) => ipv6Text(h, c))),
        ),
        (text) => {
          const ip = parseIpAddress(text)
          expect([text, ip !== undefined]).toEqual([text, isIPv4(text) || isIPv6(text)])
          if (ip?.version === 6) expect(ip.canonical).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1))
        },
      ),
      { numRuns: 3000 },
    )
  })
})
