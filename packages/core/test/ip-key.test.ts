// The default key: one bucket per IPv4 client (mapped or not), one per IPv6 /64.
import { describe, expect, it } from 'vitest'
import { ipKey } from '../src/index.js'

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
