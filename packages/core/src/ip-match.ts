// PLACEHOLDER until the ip-match branch lands: exact addresses only.
import { SpillwayConfigError } from './errors.js'
import { ipKey } from './ip-key.js'

export function createIpMatcher(entries: readonly unknown[], option: string): (address: string | undefined) => boolean {
  const allowed = new Set<string>()
  entries.forEach((entry, index) => {
    const key = typeof entry === 'string' ? ipKey(entry, false) : undefined
    if (key === undefined) {
      throw new SpillwayConfigError(
        'ERR_SPILLWAY_INVALID_OPTION',
        `${option}[${index}]`,
        entry,
        'must be an IP address',
      )
    }
    allowed.add(key)
  })
  return (address) => {
    const key = ipKey(address, false)
    return key !== undefined && allowed.has(key)
  }
}
