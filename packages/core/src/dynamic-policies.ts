// Limits that depend on the request: capacity and refillRate functions, one policy (own name, own keys) per distinct result.
import type { BlockDuration } from './block.js'
import { SpillwayConfigError } from './errors.js'
import { buildLimiter, type Limiter } from './limiter.js'
import { createPolicy, type RefillRate } from './policy.js'
import type { PolicyClaim } from './policy-claims.js'
import type { BucketActions } from './request-buckets.js'
import type { Decision, Policy, Store } from './types.js'

/** One policy a request can fall under: its limiter, its decision and refund, its claim on the buckets. */
export interface PolicyVariant {
  readonly limiter: Limiter
  readonly decide: (key: string, cost: number) => Decision | Promise<Decision>
  readonly actions: BucketActions
  readonly claim: PolicyClaim
}

/** Default bound on the distinct policies the functions of one `rateLimit` may create. */
export const DEFAULT_MAX_POLICIES = 100

/** Longest base `name` of a policy whose capacity or rate is a function (its variants append `:<B>@<R>/s`). */
export const MAX_DYNAMIC_BASE_NAME = 28

/** The options of a policy besides its shape and name: `blockDuration` and `maxWait`, when set. */
export interface PolicyExtras {
  readonly blockDuration?: BlockDuration
  readonly maxWait?: number | string
}

/** What the variants share: everything of the policy but capacity and rate. */
export interface DynamicPolicySettings {
  readonly name: string
  readonly store: Store
  readonly cost: number | undefined
  readonly extras: PolicyExtras
  readonly maxPolicies: number
}

/**
 * The policies created by `capacity` / `refillRate` functions, one per distinct bucket shape (capacity and
 * emission interval), each named `<name>:<capacity>@<rate>/s` (its own key space and `RateLimit-Policy`
 * entry). A value that is not a valid capacity or rate throws the same coded error as at construction; a
 * shape beyond `maxPolicies` throws `ERR_SPILLWAY_TOO_MANY_POLICIES`. The request pipeline turns both into
 * its failure mode (stage `'policy'`).
 */
export class DynamicPolicies {
  readonly #settings: DynamicPolicySettings
  /** Variant by bucket shape `<capacity>/<interval µs>`: the bounded set. */
  readonly #byShape = new Map<string, PolicyVariant>()
  /** Variant by the functions' raw values, so a known tier costs one lookup; cleared when it grows. */
  #byInput = new Map<string, PolicyVariant>()

  constructor(settings: DynamicPolicySettings) {
    this.#settings = settings
  }

  get size(): number {
    return this.#byShape.size
  }

  /**
   * The variant for these values; throws a `SpillwayConfigError` for a bad value or one policy too many.
   *
   * @example
   * ```ts
   * const variant = policies.variantFor(100, { tokens: 100, per: '1m' })
   * ```
   */
  variantFor(capacity: unknown, refillRate: unknown): PolicyVariant {
    const inputKey = inputKeyOf(capacity, refillRate)
    const cached = inputKey === undefined ? undefined : this.#byInput.get(inputKey)
    if (cached !== undefined) return cached
    const variant = this.#variantOfShape(capacity, refillRate)
    if (inputKey !== undefined) {
      if (this.#byInput.size >= 4 * this.#settings.maxPolicies) this.#byInput = new Map()
      this.#byInput.set(inputKey, variant)
    }
    return variant
  }

  #variantOfShape(capacity: unknown, refillRate: unknown): PolicyVariant {
    const { name, store, cost, extras, maxPolicies } = this.#settings
    const shape = createPolicy({ capacity: capacity as number, refillRate: refillRate as RefillRate, name })
    const shapeKey = `${shape.capacity}/${shape.emissionIntervalUs}`
    const known = this.#byShape.get(shapeKey)
    if (known !== undefined) return known
    if (this.#byShape.size >= maxPolicies) {
      throw new SpillwayConfigError(
        'ERR_SPILLWAY_TOO_MANY_POLICIES',
        'maxPolicies',
        maxPolicies,
        `is reached by policy "${name}": its capacity/refillRate functions returned a new bucket shape ` +
          `(capacity ${shape.capacity}, ${shape.refillRatePerSecond}/s); return fewer distinct values (tiers), or raise maxPolicies`,
      )
    }
    const built = buildLimiter({
      capacity: shape.capacity,
      refillRate: refillRate as RefillRate,
      name: variantName(shape),
      store,
      cost,
      ...extras,
    })
    const actions = { limiter: built.limiter, giveBack: built.giveBack }
    const variant = { limiter: built.limiter, decide: built.decide, claim: built.claim, actions }
    this.#byShape.set(shapeKey, variant)
    return variant
  }
}

/** `<name>:<capacity>@<rate>/s`, the rate to 6 significant digits (e.g. `api:100@1.66667/s`). */
function variantName(shape: Policy): string {
  const rate = Number(shape.refillRatePerSecond.toPrecision(6))
  return `${shape.name}:${shape.capacity}@${rate}/s`
}

function inputKeyOf(capacity: unknown, refillRate: unknown): string | undefined {
  if (typeof capacity !== 'number') return undefined
  if (typeof refillRate === 'number') return `${capacity}|${refillRate}`
  const readable = refillRate as { tokens?: unknown; per?: unknown } | null
  if (typeof readable?.tokens !== 'number' || !['number', 'string'].includes(typeof readable.per)) return undefined
  return `${capacity}|${readable.tokens}/${String(readable.per)}`
}

/**
 * The policy a `rateLimit` with capacity or rate functions stands for before a request picks its variant:
 * its name and static parts, validated now. Capacity and rate read 0.
 */
export function templatePolicy(name: string | undefined, extras: PolicyExtras): Policy {
  const policy = createPolicy({ capacity: 1, refillRate: 1, ...(name !== undefined && { name }), ...extras })
  if (policy.name.length > MAX_DYNAMIC_BASE_NAME) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'name',
      name,
      `must be at most ${MAX_DYNAMIC_BASE_NAME} characters when capacity or refillRate is a function (each policy it creates appends its shape)`,
    )
  }
  return Object.freeze({ ...policy, capacity: 0, refillRatePerSecond: 0, emissionIntervalUs: 0, burstUs: 0 })
}

/**
 * The limiter of a template policy: a request's variant decides; calling it directly is a `TypeError`
 * (use `req.rateLimitBuckets`, which holds the variant that counted the request).
 */
export function templateLimiter(policy: Policy, store: Store, defaultCost: number): Limiter {
  const fail = () =>
    Promise.reject(new TypeError(`[spillway] policy "${policy.name}" depends on the request: use req.rateLimitBuckets`))
  return {
    policy,
    store,
    defaultCost,
    consume: fail,
    consumeSync: () => {
      throw new TypeError(`[spillway] policy "${policy.name}" depends on the request: use req.rateLimitBuckets`)
    },
    peek: fail,
    reset: fail,
    refund: fail,
  }
}
