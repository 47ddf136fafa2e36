// The remembered default key: the same key as ipKey, whatever the cache holds or has dropped.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addressKeyCache } from '../src/address-key.js'
import { ipKey } from '../src/index.js'

const keyOrAddress = (address: string, subnet: number | false) => ipKey(address, subnet) ?? address

describe('addressKeyCache', () => {
  it('answers what ipKey answers (or the address that is no IP), on the first and on later lookups', () => {
    const addresses = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
      fc.string({ maxLength: 80 }),
    )
    fc.assert(
      fc.property(fc.array(addresses, { maxLength: 20 }), fc.constantFrom(48, 64, false as const), (list, subnet) => {
        const keyOf = addressKeyCache(subnet)
        for (const address of [...list, ...list]) expect(keyOf(address)).toBe(keyOrAddress(address, subnet))
      }),
    )
  })

  it('keys a text longer than any address literal each time, without remembering it', () => {
    const keyOf = addressKeyCache(64)
    const long = `${'x'.repeat(100)}, 203.0.113.7`
    expect(keyOf(long)).toBe(long)
    expect(keyOf(long)).toBe(long)
  })

  it('answers right past its bound, once it has started over', () => {
    const keyOf = addressKeyCache(64)
    const clients = 20_000
    for (let i = 0; i < clients; i++) keyOf(`2001:db8:${i.toString(16)}::1`)
    for (let i = clients - 10; i < clients + 10; i++) {
      expect(keyOf(`2001:db8:${i.toString(16)}::1`)).toBe(`2001:db8:${i.toString(16)}::/64`)
    }
    expect(keyOf('2001:db8:0::1')).toBe('2001:db8::/64')
  })
})
