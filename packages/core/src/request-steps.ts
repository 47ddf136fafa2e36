// The named steps before a request's decision: skip → allow list → key → allow key → policy → count once → cost.
import { addressKeyCache } from './address-key.js'
import type { RawResponse } from './count-by-outcome.js'
import type { PolicyVariant } from './dynamic-policies.js'
import { InvalidRequestInputError, type LimitOutcome } from './limit-outcome.js'
import { countedBefore } from './policy-claims.js'
import type { DynamicLimits, ResolvedRateLimit } from './rate-limit-option-types.js'
import {
  attemptCall,
  failed,
  isPromiseLike,
  type MaybePromise,
  noClientAddress,
  SKIPPED,
  type StepOutcome,
} from './request-outcome.js'

/** One request on its way through the steps. */
export interface Exchange<Req> {
  readonly request: Req
  readonly address: string | undefined
  readonly raw?: RawResponse | undefined
  key: string
  cost: number
  /** The policy that decides: the one of the options, or the one capacity/refillRate functions picked. */
  variant: PolicyVariant
}

/** A step answers `undefined` to go on, or the request's outcome. */
export type RequestStep<Req> = (exchange: Exchange<Req>) => MaybePromise<StepOutcome>

/**
 * True when a step of {@link buildSteps} reads the client address: the key (no `key` function) or an address
 * `allowList`. Adapters skip working the address out otherwise; a policy that needed it and got none would
 * pass unlimited, so a new step that reads it must be named here too.
 */
export function readsClientAddress<Req>(options: ResolvedRateLimit<Req>): boolean {
  return options.keyFunction === undefined || options.allowList !== undefined
}

/** The steps the options ask for, in order; the decision is not one of them. */
export function buildSteps<Req>(options: ResolvedRateLimit<Req>): RequestStep<Req>[] {
  const steps: RequestStep<Req>[] = []
  if (options.skip) steps.push(skipStep(options, options.skip))
  if (options.allowList) steps.push(allowAddressStep(options.allowList))
  steps.push(options.keyFunction ? keyFunctionStep(options, options.keyFunction) : addressKeyStep(options))
  if (options.allowKey) steps.push(allowKeyStep(options, options.allowKey))
  if (options.dynamic) steps.push(policyStep(options, options.dynamic))
  steps.push(countOnceStep())
  if (options.costFunction) steps.push(costStep(options, options.costFunction))
  return steps
}

/** Runs the steps in order from `from`; the first outcome ends the chain, a promise resumes it later. */
export function runSteps<Req, Final>(
  steps: readonly RequestStep<Req>[],
  decide: (exchange: Exchange<Req>) => MaybePromise<Final>,
  exchange: Exchange<Req>,
  from: number,
): MaybePromise<LimitOutcome | Final> {
  for (let index = from; index < steps.length; index++) {
    const outcome = (steps[index] as RequestStep<Req>)(exchange)
    if (outcome === undefined) continue
    if (!isPromiseLike(outcome)) return outcome
    return outcome.then((settled) => settled ?? runSteps(steps, decide, exchange, index + 1))
  }
  return decide(exchange)
}

function skipStep<Req>(options: ResolvedRateLimit<Req>, skip: NonNullable<ResolvedRateLimit<Req>['skip']>) {
  return function skipRequest({ request }: Exchange<Req>) {
    return attemptCall(
      options,
      request,
      'skip',
      () => skip(request),
      (skipped) => (skipped === true ? SKIPPED : undefined),
    )
  }
}

function allowAddressStep<Req>(allowList: (address: string | undefined) => boolean) {
  return function allowListedAddress({ address }: Exchange<Req>): StepOutcome {
    return allowList(address) ? SKIPPED : undefined
  }
}

function keyFunctionStep<Req>(
  options: ResolvedRateLimit<Req>,
  keyFunction: NonNullable<ResolvedRateLimit<Req>['keyFunction']>,
) {
  return function keyFromFunction(exchange: Exchange<Req>) {
    const { request } = exchange
    return attemptCall(
      options,
      request,
      'key',
      () => keyFunction(request),
      (key) => setKey(options, exchange, key),
    )
  }
}

function addressKeyStep<Req>(options: ResolvedRateLimit<Req>) {
  const keyOfAddress = addressKeyCache(options.ipv6Subnet)
  return function keyFromAddress(exchange: Exchange<Req>): StepOutcome {
    const { address } = exchange
    // Koa reports a missing address as ''.
    if (address === undefined || address === '') return noClientAddress(options, exchange.request)
    // An address that is not an IP (a proxy header the framework trusted) is still a key: hashed if long.
    exchange.key = keyOfAddress(address)
    return undefined
  }
}

function setKey<Req>(options: ResolvedRateLimit<Req>, exchange: Exchange<Req>, key: unknown): StepOutcome {
  if (typeof key === 'string' && key !== '') {
    exchange.key = key
    return undefined
  }
  const shown = key === '' ? '""' : String(key)
  const error = new InvalidRequestInputError(`[spillway] the key function must return a non-empty string, got ${shown}`)
  return failed(options, exchange.request, 'key', error)
}

function allowKeyStep<Req>(options: ResolvedRateLimit<Req>, allowKey: NonNullable<ResolvedRateLimit<Req>['allowKey']>) {
  return function allowListedKey({ request, key }: Exchange<Req>) {
    const listed = (value: boolean) => (value === true ? SKIPPED : undefined)
    return attemptCall(options, request, 'allowList', () => allowKey(key, request), listed)
  }
}

/** Two middlewares with one policy on the same buckets (app-wide and an identical route one) count once. */
function countOnceStep<Req>() {
  return function countOnce({ request, key, variant }: Exchange<Req>): StepOutcome {
    const { claim } = variant
    return claim.shared && countedBefore(claim, request, key) ? SKIPPED : undefined
  }
}

/** Capacity and rate of this request (functions, sync or async, or fixed values) pick its policy. */
function policyStep<Req>(options: ResolvedRateLimit<Req>, dynamic: DynamicLimits<Req>) {
  const valueForRequest = <T>(value: T | ((request: Req) => T | Promise<T>), request: Req) =>
    typeof value === 'function' ? (value as (request: Req) => T | Promise<T>)(request) : value
  return function policyOfRequest(exchange: Exchange<Req>) {
    const { request } = exchange
    return attemptCall(
      options,
      request,
      'policy',
      () => valueForRequest(dynamic.capacity, request),
      (capacity) =>
        attemptCall(
          options,
          request,
          'policy',
          () => valueForRequest(dynamic.refillRate, request),
          (refillRate) => pickVariant(options, exchange, capacity, refillRate),
        ),
    )
  }
}

function pickVariant<Req>(
  options: ResolvedRateLimit<Req>,
  exchange: Exchange<Req>,
  capacity: unknown,
  refillRate: unknown,
): StepOutcome {
  try {
    exchange.variant = (options.dynamic as DynamicLimits<Req>).policies.variantFor(capacity, refillRate)
    return undefined
  } catch (error) {
    return failed(options, exchange.request, 'policy', error)
  }
}

function costStep<Req>(
  options: ResolvedRateLimit<Req>,
  costFunction: NonNullable<ResolvedRateLimit<Req>['costFunction']>,
) {
  return function costOfRequest(exchange: Exchange<Req>) {
    const { request } = exchange
    return attemptCall(
      options,
      request,
      'cost',
      () => costFunction(request),
      (cost) => setCost(options, exchange, cost),
    )
  }
}

function setCost<Req>(options: ResolvedRateLimit<Req>, exchange: Exchange<Req>, cost: unknown): StepOutcome {
  if (typeof cost === 'number' && Number.isSafeInteger(cost) && cost >= 1) {
    exchange.cost = cost
    return undefined
  }
  const error = new InvalidRequestInputError(
    `[spillway] the cost function must return a whole number ≥ 1, got ${String(cost)}`,
  )
  return failed(options, exchange.request, 'cost', error)
}
