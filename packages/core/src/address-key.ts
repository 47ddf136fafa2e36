// The default key of a request, its client address, parsed once per recent client.
import { ipKey } from './ip-key.js'

/** Most client addresses whose key one policy remembers; past it the memory starts over. */
const ADDRESS_KEY_CACHE_SIZE = 16_384
/** Longer than any IP address literal, with a zone id and a port: keyed each time, never remembered. */
const MAX_CACHED_ADDRESS_LENGTH = 64

/**
 * `ipKey` of a client address (or the address itself when it is not an IP), remembered per address text:
 * a hot client's key is one `Map` lookup instead of a parse (~0.7 µs for IPv6: parse, mask, format), and the
 * same string each time, whose hash the store-key cache has already computed. Bounded in count and in
 * length, so addresses a client invents (a proxy header the app trusts) cannot grow it.
 *
 * @example
 * ```ts
 * const keyOf = addressKeyCache(64)
 * keyOf('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64', parsed once
 * ```
 */
export function addressKeyCache(subnet: number | false): (address: string) => string {
  let cache = new Map<string, string>()
  return function keyOfAddress(address) {
    if (address.length > MAX_CACHED_ADDRESS_LENGTH) return ipKey(address, subnet) ?? address
    const cached = cache.get(address)
    if (cached !== undefined) return cached
    const key = ipKey(address, subnet) ?? address
    if (cache.size >= ADDRESS_KEY_CACHE_SIZE) cache = new Map()
    cache.set(address, key)
    return key
  }
}
