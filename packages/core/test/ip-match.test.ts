// Allow lists: exact addresses and CIDR blocks, matched after the same normalisation as the default key.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SpillwayConfigError } from '../src/errors.js'
import { parseIpAddress } from '../src/ip-key.js'
import { createIpMatcher, parseIpBlock } from '../src/ip-match.js'

function matches(entries: string[], address: string | undefined): boolean {
  return createIpMatcher(entries, 'allowList')(address)
}

// [entry, addresses it matches, addresses it does not match]
const blocks: [string, string[], string[]][] = [
  ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255', '10.1.2.3:80'], ['9.255.255.255', '11.0.0.0']],
  ['192.168.1.128/25', ['192.168.1.128', '192.168.1.255'], ['192.168.1.127', '192.168.2.128']],
  ['203.0.113.7/32', ['203.0.113.7'], ['203.0.113.6', '203.0.113.8']],
  ['203.0.113.6/31', ['203.0.113.6', '203.0.113.7'], ['203.0.113.5', '203.0.113.8']],
  ['0.0.0.0/1', ['0.0.0.0', '127.255.255.255'], ['128.0.0.0', '255.255.255.255']],
  ['128.0.0.0/1', ['128.0.0.0', '255.255.255.255'], ['127.255.255.255']],
  ['127.0.0.1/8', ['127.0.0.1', '127.255.0.9'], ['128.0.0.1']], // host bits accepted, as proxy-addr does
  ['10.0.0.0/255.255.240.0', ['10.0.15.255'], ['10.0.16.0']], // netmask notation, as proxy-addr does
  ['10.0.0.0/08', ['10.9.9.9'], ['11.0.0.0']],
  [' 10.0.0.0/8 ', ['10.9.9.9'], ['11.0.0.0']],
  [
    '2001:db8::/32',
    ['2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '[2001:DB8::1]:443'],
    ['2001:db9::', '2001:db7:ffff::'],
  ],
  [
    '2001:db8:0:0:8000::/65',
    ['2001:db8::8000:0:0:0', '2001:db8::ffff:ffff:ffff:ffff'],
    ['2001:db8::7fff:ffff:ffff:ffff', '2001:db8:0:1::'],
  ],
  ['2001:db8::/127', ['2001:db8::', '2001:db8::1'], ['2001:db8::2']],
  ['2001:db8::1/128', ['2001:db8::1', '2001:db8::1%eth0'], ['2001:db8::2']],
  ['8000::/1', ['8000::', 'ffff::1'], ['7fff:ffff::', '::1']],
  ['::/1', ['::1', '2001:db8::1'], ['8000::', '10.0.0.1', '::ffff:10.0.0.1']], // IPv6 blocks never match IPv4 clients
  ['2001:db8:1:2::/64', ['2001:db8:1:2:aaaa::1'], ['2001:db8:1:3::']], // the default key's own form
]

// [entry, addresses it matches, addresses it does not match]
const normalised: [string, string[], string[]][] = [
  ['10.0.0.5', ['10.0.0.5', '::ffff:10.0.0.5', '[::ffff:10.0.0.5]:80', '10.0.0.5:1234', ' 10.0.0.5 '], ['10.0.0.6']],
  ['::ffff:10.0.0.5', ['10.0.0.5', '::FFFF:a00:5'], ['10.0.0.6', '::a00:6']],
  ['[::ffff:10.0.0.5]:80', ['10.0.0.5'], ['10.0.0.6']],
  ['10.0.0.5:80', ['10.0.0.5:443', '10.0.0.5'], ['10.0.0.6']],
  ['64:ff9b::10.0.0.5', ['10.0.0.5', '64:ff9b::a00:5'], ['10.0.0.6']],
  ['[2001:db8::1]:443', ['2001:db8::1', '2001:DB8:0::0001', '[2001:db8::1]:80'], ['2001:db8::2']],
  ['fe80::1%eth0', ['fe80::1', 'fe80::1%eth1'], ['fe80::2']],
  ['10.0.0.0/8', ['::ffff:10.1.2.3', '::ffff:0:10.1.2.3', '::10.1.2.3', '64:ff9b::10.1.2.3'], ['::ffff:11.0.0.1']],
  ['::ffff:10.0.0.0/104', ['10.1.2.3', '::ffff:10.1.2.3', '::a01:203'], ['11.0.0.1', '2001:db8::1']],
  ['::ffff:128.0.0.0/97', ['128.1.2.3', '255.255.255.255'], ['127.255.255.255', '2001:db8::1']],
  ['64:ff9b::/96', ['64:ff9b::10.1.2.3'], ['10.1.2.3', '::ffff:10.1.2.3']], // the translated source, not native IPv4
  ['2001::/32', ['2001:0:4136:e378:8000:63bf:3fff:fdd2'], ['192.0.2.45']],
  ['192.0.2.45', ['2001:0:4136:e378:8000:63bf:3fff:fdd2'], ['2001:0:4136:e378:8000:63bf:3fff:fdd1']], // Teredo client
]

describe('createIpMatcher: CIDR blocks', () => {
  it.each(blocks)('%s', (entry, inside, outside) => {
    const isAllowed = createIpMatcher([entry], 'allowList')
    for (const address of inside) expect([address, isAllowed(address)]).toEqual([address, true])
    for (const address of outside) expect([address, isAllowed(address)]).toEqual([address, false])
  })
})

describe('createIpMatcher: entries and clients in any literal form', () => {
  it.each(normalised)('%s', (entry, inside, outside) => {
    const isAllowed = createIpMatcher([entry], 'allowList')
    for (const address of inside) expect([address, isAllowed(address)]).toEqual([address, true])
    for (const address of outside) expect([address, isAllowed(address)]).toEqual([address, false])
  })

  it('never matches a missing address or one that is not an IP address', () => {
    const everything = ['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1']
    for (const address of [undefined, '', 'not-an-ip', '10.0.0.1:99999', '[10.0.0.1', 'localhost']) {
      expect(matches(everything, address)).toBe(false)
    }
    expect(matches([], '10.0.0.1')).toBe(false)
  })

  it('matches when any of several entries of several prefix lengths does', () => {
    const isAllowed = createIpMatcher(['10.0.0.0/8', '192.168.0.0/16', '203.0.113.7', '2001:db8::/32', '::1'], 'x')
    expect(['10.9.9.9', '192.168.3.4', '203.0.113.7', '2001:db8::5', '::1'].map(isAllowed)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ])
    expect(['11.0.0.0', '192.169.0.0', '203.0.113.8', '2001:db9::', '::2'].some(isAllowed)).toBe(false)
  })
})

describe('createIpMatcher: invalid entries', () => {
  const invalid: unknown[] = [
    'not-an-ip',
    '',
    '10.0.0.256',
    '10.0.0.0/33',
    '10.0.0.0/0', // with host bits accepted, a typo for /8 would allow everyone
    '0.0.0.0/0',
    '::/0',
    '2001:db8::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/8/8',
    '10.0.0.0/ 8',
    '10.0.0.0/8.5',
    '10.0.0.0/255.0.255.0', // netmask not contiguous
    '10.0.0.0/0.0.0.0',
    '2001:db8::/255.255.0.0',
    '::ffff:10.0.0.0/8', // IPv4-mapped below /96: would match nothing
    '::ffff:0:0/96', // all of IPv4, like 0.0.0.0/0
    'fe80::%eth0/64',
    '[2001:db8::]/32',
    '10.0.0.1:80/8',
    '10.0.0.0-10.0.0.255',
    '*',
    42,
    null,
  ]
  it.each(invalid.map((entry) => [entry]))('rejects %j naming its index', (entry) => {
    const entries = ['10.0.0.1', entry] as string[]
    const attempt = () => createIpMatcher(entries, 'allowList')
    expect(attempt).toThrow(SpillwayConfigError)
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_SPILLWAY_INVALID_OPTION', option: 'allowList[1]' }))
    try {
      attempt()
    } catch (error) {
      expect((error as SpillwayConfigError).value).toBe(entry)
      expect((error as SpillwayConfigError).message).toContain('allowList[1] must be an IP address or a CIDR block')
    }
  })

  it('names the option itself when it is not an array', () => {
    expect(() => createIpMatcher('10.0.0.0/8' as unknown as string[], 'routes.admin.allowList')).toThrow(
      expect.objectContaining({ code: 'ERR_SPILLWAY_INVALID_OPTION', option: 'routes.admin.allowList' }),
    )
  })
})

describe('parseIpBlock', () => {
  it('clears host bits and writes one canonical form', () => {
    expect(parseIpBlock('127.0.0.1/8')).toEqual({
      version: 4,
      parts: [127, 0, 0, 0],
      prefixLength: 8,
      canonical: '127.0.0.0/8',
    })
    expect(parseIpBlock('::ffff:10.0.0.0/104')?.canonical).toBe('10.0.0.0/8')
    expect(parseIpBlock('2001:DB8::1/32')?.canonical).toBe('2001:db8::/32')
    expect(parseIpBlock('[2001:db8::1]:443')?.canonical).toBe('2001:db8::1/128')
    expect(parseIpBlock('64:ff9b::10.0.0.5')?.canonical).toBe('10.0.0.5/32')
    expect(parseIpBlock('64:ff9b::10.0.0.5/128')?.canonical).toBe('64:ff9b::a00:5/128')
  })
})

/** Reference: parts as one big number, and the obvious prefix test on it. */
function bigOf(parts: readonly number[]): bigint {
  const width = parts.length === 4 ? 8n : 16n
  return parts.reduce((sum, part) => (sum << width) | BigInt(part), 0n)
}

/** The documented rule: IPv4 blocks test the client's IPv4 (plain, mapped or embedded), IPv6 blocks its IPv6. */
function naiveMatch(entries: string[], address: string): boolean {
  const ip = parseIpAddress(address)!
  const v4 = ip.version === 4 ? ip.parts : ip.embeddedIPv4?.parts
  const v6 = ip.version === 6 ? ip.parts : undefined
  return entries.some((entry) => {
    const block = parseIpBlock(entry)!
    const client = block.version === 4 ? v4 : v6
    if (client === undefined) return false
    const shift = BigInt(client.length * (client.length === 4 ? 8 : 16) - block.prefixLength)
    return bigOf(client) >> shift === bigOf(block.parts) >> shift
  })
}

const v4Text = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((b) => b.join('.'))
/** Few distinct values per group, so that random clients often fall inside random blocks. */
const v6Text = fc
  .array(fc.constantFrom(0, 1, 0x8000, 0xffff, 0x2001, 0xdb8), { minLength: 8, maxLength: 8 })
  .map((h) => h.map((group) => group.toString(16)).join(':'))
const entry = fc.oneof(
  fc.tuple(v4Text, fc.integer({ min: 1, max: 32 })).map(([a, n]) => `${a}/${n}`),
  fc.tuple(v6Text, fc.integer({ min: 1, max: 128 })).map(([a, n]) => `${a}/${n}`),
  v4Text,
)

describe('createIpMatcher properties', () => {
  it('agrees with a naive prefix test over many entries of mixed lengths', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 60 }),
        fc.array(fc.oneof(v4Text, v6Text), { maxLength: 40 }),
        (entries, clients) => {
          const isAllowed = createIpMatcher(entries, 'allowList')
          for (const client of clients)
            expect([client, isAllowed(client)]).toEqual([client, naiveMatch(entries, client)])
        },
      ),
      { numRuns: 300 },
    )
  })

  it('stays exact with 10 000 single addresses and 1 000 blocks', () => {
    const singles = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.1`)
    const prefixes = Array.from({ length: 1_000 }, (_, i) => `2001:db8:${i.toString(16)}::/48`)
    const isAllowed = createIpMatcher([...singles, ...prefixes], 'allowList')
    expect(isAllowed('10.39.15.1')).toBe(true)
    expect(isAllowed('10.39.15.2')).toBe(false)
    expect(isAllowed('[2001:db8:3e7:ffff::1]:443')).toBe(true)
    expect(isAllowed('2001:db8:3e8::1')).toBe(false)
  })
})
