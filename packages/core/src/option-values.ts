// The small checks behind each adapter option: one function per option value, each naming the option when it fails.
import { SpillwayConfigError } from './errors.js'
import type { StandardHeaders } from './headers.js'
import { DEFAULT_IPV6_SUBNET } from './ip-key.js'
import type { RateLimitOptions, ResolvedRateLimit, StoreFailureMode } from './rate-limit-option-types.js'
import { serializeBody } from './responses.js'
import type { Decision, Store } from './types.js'

export function validateCost(cost: unknown): undefined {
  if (cost === undefined || typeof cost === 'number') return undefined
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'cost', cost, 'must be a number or a function')
}

export function resolveAllowKey<Req>(value: RateLimitOptions<Req>['allowList']): ResolvedRateLimit<Req>['allowKey'] {
  if (value === undefined || Array.isArray(value)) return undefined
  if (typeof value === 'function') return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'allowList',
    value,
    'must be an array of IP addresses and CIDR blocks, or a function of the key',
  )
}

/** A static body is serialised now, so one that cannot be (a BigInt, a cycle) fails here, not at the first 429. */
export function resolveBody<Req>(value: unknown, statusCode: number): ResolvedRateLimit<Req>['body'] {
  if (value === undefined) return undefined
  if (typeof value === 'function') return value as (decision: Decision, request: Req) => unknown
  try {
    return serializeBody(statusCode, value, false)
  } catch (error) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'body',
      value,
      `must be a string, a JSON-serialisable value or a function (${(error as Error).message})`,
    )
  }
}

export function resolveTimeout(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 2_147_483_647) return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    option,
    value,
    'must be a whole number of milliseconds ≥ 1',
  )
}

export function resolveSubnet(value: unknown): number | false {
  if (value === undefined) return DEFAULT_IPV6_SUBNET
  if (value === false || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 128)) {
    return value as number | false
  }
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'ipv6Subnet',
    value,
    'must be a whole number from 1 to 128, or false',
  )
}

export function resolveStandard(value: unknown): StandardHeaders {
  if (value === undefined) return 'draft-11'
  if (value === false || value === 'draft-11' || value === 'draft-10' || value === 'draft-6') return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'standardHeaders',
    value,
    "must be 'draft-11', 'draft-10', 'draft-6' or false",
  )
}

export function resolveBoolean(value: unknown, option: string): boolean {
  if (value === undefined) return false
  if (typeof value === 'boolean') return value
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be true or false')
}

export function resolveStatus(value: unknown): number {
  if (value === undefined) return 429
  if (Number.isInteger(value) && (value as number) >= 400 && (value as number) <= 599) return value as number
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'statusCode',
    value,
    'must be an HTTP error status from 400 to 599',
  )
}

export function resolveStoreFailureMode(value: unknown, store: Store): StoreFailureMode {
  if (value === 'local') return value
  return resolveFailureMode(value, 'onStoreError', store.remote === true ? 'local' : 'allow', " or 'local'")
}

export function resolveFailureMode(
  value: unknown,
  option: string,
  fallback: StoreFailureMode,
  more = '',
): StoreFailureMode {
  if (value === undefined) return fallback
  if (value === 'error' || value === 'allow' || value === 'deny') return value
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, `must be 'error', 'allow', 'deny'${more}`)
}
