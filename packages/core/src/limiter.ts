// The limiter: validated options, one policy, one store; decide(key, cost) → Decision.
import { type BlockDuration, withBlock } from './block.js'
import { describeDecision } from './bucket.js'
import { monotonicClockUs } from './clock.js'
import { describeValue, SpillwayConfigError } from './errors.js'
import { boundedKey } from './keys.js'
import { KnownRejections } from './known-rejections.js'
import { createPolicy, type RefillRate } from './policy.js'
import { claimPolicy, type PolicyClaim } from './policy-claims.js'
import { storeKey } from './store-key.js'
import type { Decision, Policy, StepResult, Store } from './types.js'
import { optionNames, rejectUnknownOptions, requireObject, requirePositiveInteger } from './validate.js'

/** Options of {@link createLimiter}. */
export interface LimiterOptions {
  /** B: the most tokens a bucket holds, i.e. the largest burst. */
  capacity: number
  /** R: tokens per second, or `{ tokens, per }` such as `{ tokens: 100, per: '1m' }`. */
  refillRate: RefillRate
  /** Where buckets live: `new MemoryStore()`, a `RedisStore`, or your own {@link Store}. */
  store: Store
  /** Tokens a call takes when it names none. Default 1; must not exceed `capacity`. */
  cost?: number
  /** Names the policy in headers and keeps its keys apart. Default `'default'`. */
  name?: string
  /**
   * Wait instead of reject (ms, or `'2s'`): a request whose tokens will be there within `maxWait` is
   * admitted on credit; its decision carries `waitMs`, the time to wait before doing the work. Default 0.
   * Ignored with `blockDuration` (a blocking policy never admits on credit).
   */
  maxWait?: number | string
  /**
   * Once a key is rejected, it stays rejected this long (a login lockout): ms, `'15m'`, or an escalating
   * block `{ initial: '1m', max: '1h', factor: 2 }` (each new block of a key twice the last, remembered
   * for `max` after a block ends). `Retry-After` tells when the block ends. Default: no block.
   */
  blockDuration?: BlockDuration
}

/** A token-bucket limiter bound to one policy and one store. */
export interface Limiter {
  readonly policy: Policy
  readonly store: Store
  /** The cost used when `consume` is called without one. */
  readonly defaultCost: number
  /**
   * Takes `cost` tokens from the bucket of `key` if they are there. A cost above the capacity is
   * never admitted (the decision has `retryAfterMs: Infinity`); a cost that is not a whole number ≥ 1
   * throws a `RangeError`.
   */
  consume(key: string, cost?: number): Promise<Decision>
  /**
   * The same decision, answered synchronously, for callers outside a request (a queue worker, a CLI):
   * only on a store that can decide at once (`MemoryStore`); others throw a `TypeError`.
   *
   * @example
   * ```ts
   * if (!limiter.consumeSync(`tenant:${id}`).allowed) return requeue(job)
   * ```
   */
  consumeSync(key: string, cost?: number): Decision
  /**
   * The bucket of `key` as it is now, taking nothing: `allowed` says whether `cost` tokens (default: the
   * default cost) are there, `retryAfterMs` when they will be, `nextTokenMs` and `resetMs` when the next
   * token comes and when the bucket is full. Needs a store with `peek` (every built-in store has it).
   *
   * @example
   * ```ts
   * const { remaining, resetMs } = await limiter.peek('user:42')
   * ```
   */
  peek(key: string, cost?: number): Promise<Decision>
  /**
   * Forgets the bucket of `key`: it is full again (e.g. after a successful login). Needs a store with `reset`.
   *
   * @example
   * ```ts
   * await limiter.reset(`login:${username}`)
   * ```
   */
  reset(key: string): Promise<void>
  /**
   * Gives `tokens` (default: the default cost) back to the bucket of `key`, never above its capacity
   * (`tat ← max(now, tat − tokens·T)`, atomically on Redis); answers the bucket's state after it, as
   * {@link Limiter.peek} does. Needs a store with `refund`.
   *
   * @example
   * ```ts
   * const decision = await limiter.consume(key)
   * if (decision.allowed && (await work()).cached) await limiter.refund(key)
   * ```
   */
  refund(key: string, tokens?: number): Promise<Decision>
}

const LIMITER_OPTIONS = optionNames<LimiterOptions>({
  capacity: true,
  refillRate: true,
  store: true,
  cost: true,
  name: true,
  maxWait: true,
  blockDuration: true,
})

/**
 * Builds a limiter, validating every option once.
 *
 * @example
 * ```ts
 * const limiter = createLimiter({ capacity: 10, refillRate: { tokens: 10, per: '1m' }, store: new MemoryStore() })
 * const decision = await limiter.consume('user:42')
 * if (!decision.allowed) console.log(`retry in ${decision.retryAfterMs} ms`)
 * ```
 */
export function createLimiter(options: LimiterOptions): Limiter {
  return buildLimiter(options).limiter
}

/** {@link createLimiter}, also returning the policy's claim on its buckets (for the request pipeline). */
export function buildLimiter(options: LimiterOptions): {
  limiter: Limiter
  claim: PolicyClaim
  decide: (key: string, cost: number) => Decision | Promise<Decision>
  giveBack: (key: string, tokens: number) => StepResult | Promise<StepResult>
} {
  requireObject(options, 'options')
  rejectUnknownOptions(options, LIMITER_OPTIONS)
  const policy = createPolicy(options)
  const store = validateStore(options.store)
  const defaultCost = options.cost === undefined ? 1 : requirePositiveInteger(options.cost, 'cost')
  if (defaultCost > policy.capacity) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_COST_EXCEEDS_CAPACITY',
      'cost',
      defaultCost,
      `must not exceed capacity ${policy.capacity}, or no request could ever be admitted`,
    )
  }
  const claim = claimPolicy(store, policy)
  const stepOf = store.consumeSync?.bind(store)
  const toDecision = (step: StepResult, cost: number) => decisionOf(policy, step, cost, store)
  /** One decision for an already valid key and cost: synchronous when the store can answer at once. */
  const namespacedKey = storeKeyCache(policy.name)
  // A store that cannot answer at once is asked nothing about a key it said was blocked or empty.
  const known = stepOf ? undefined : new KnownRejections(policy, monotonicClockUs)
  const decide = (key: string, cost: number): Decision | Promise<Decision> => {
    const namespaced = namespacedKey(key)
    if (stepOf) return toDecision(stepOf(namespaced, policy, cost), cost)
    return decideRemotely(store, known as KnownRejections, { key: namespaced, policy, cost }, toDecision)
  }
  const limiter: Limiter = {
    policy,
    store,
    defaultCost,
    consume(key: string, cost: number = defaultCost): Promise<Decision> {
      try {
        checkConsumeArguments(key, cost)
        return Promise.resolve(decide(key, cost))
      } catch (error) {
        return Promise.reject(error)
      }
    },
    consumeSync(key: string, cost: number = defaultCost): Decision {
      if (!stepOf) throw new TypeError(`[spillway] the ${store.name} store cannot decide synchronously`)
      checkConsumeArguments(key, cost)
      return decide(key, cost) as Decision
    },
    async peek(key, cost = defaultCost) {
      checkConsumeArguments(key, cost)
      const step = await storeMethod(store, 'peek').call(store, namespace(key), policy)
      return stateOf(policy, checkStep(step, store), cost)
    },
    async reset(key) {
      checkConsumeArguments(key, 1)
      known?.forget(namespace(key))
      await storeMethod(store, 'reset').call(store, namespace(key), policy)
    },
    async refund(key, tokens = defaultCost) {
      checkConsumeArguments(key, tokens)
      return stateOf(policy, checkStep(await giveBack(key, tokens), store), defaultCost)
    },
  }
  /** Refunds a valid key: synchronously when the store can (the request pipeline's refunds). */
  const giveBack = (key: string, tokens: number): StepResult | Promise<StepResult> => {
    known?.forget(namespace(key))
    if (store.refundSync) return store.refundSync(namespace(key), policy, tokens)
    return storeMethod(store, 'refund').call(store, namespace(key), policy, tokens)
  }
  const namespace = (key: string) => storeKey(policy.name, boundedKey(key))
  return { limiter, claim, decide, giveBack }
}

/**
 * A decision by a store that answers later: a key known to be blocked or empty is rejected at once
 * (no promise, no call); otherwise the store decides and its answer is learnt.
 */
function decideRemotely(
  store: Store,
  known: KnownRejections,
  step: { key: string; policy: Policy; cost: number },
  toDecision: (step: StepResult, cost: number) => Decision,
): Decision | Promise<Decision> {
  const { key, policy, cost } = step
  const sentUs = known.now()
  const rejected = known.check(key, sentUs, cost)
  if (rejected !== undefined) return toDecision(rejected, cost)
  return store
    .consume(key, policy, cost)
    .then((answer) => toDecision(known.learn(key, sentUs, checkStep(answer, store), cost), cost))
}

/** A store's optional method, or a `TypeError` naming what the store lacks. */
function storeMethod<Name extends 'peek' | 'reset' | 'refund'>(store: Store, name: Name): NonNullable<Store[Name]> {
  const method = store[name]
  if (typeof method !== 'function') throw new TypeError(`[spillway] the ${store.name} store has no ${name}()`)
  return method as NonNullable<Store[Name]>
}

/**
 * A bucket's state as a decision for `cost` that takes nothing: `allowed` when `cost` tokens are there
 * now, `retryAfterMs` when they will be.
 */
function stateOf(policy: Policy, step: StepResult, cost: number): Decision {
  const frame = step.fallbackPolicy ?? policy
  const debtUs = Math.min(step.debtUs, frame.burstUs)
  const allowed = cost <= policy.capacity && debtUs + cost * frame.emissionIntervalUs <= frame.burstUs
  return describeDecision(policy, { ...step, allowed }, cost)
}

/** Most client keys whose store key a limiter remembers; past it the memory starts over. */
const STORE_KEY_CACHE_SIZE = 16_384

/**
 * The store key of a client key, built once per recent client: a hot client's key is then one `Map`
 * lookup, and the store sees the same string (its hash already computed) instead of a new one each time.
 * Bounded, so keys a client invents cannot grow it.
 */
function storeKeyCache(policyName: string): (key: string) => string {
  let cache = new Map<string, string>()
  return (key) => {
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    if (cache.size >= STORE_KEY_CACHE_SIZE) cache = new Map()
    const built = storeKey(policyName, boundedKey(key))
    cache.set(key, built)
    return built
  }
}

function checkConsumeArguments(key: unknown, cost: unknown): void {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`[spillway] key must be a non-empty string, got ${describeValue(key)}`)
  }
  if (!Number.isSafeInteger(cost) || (cost as number) < 1) {
    throw new RangeError(`[spillway] cost must be a whole number ≥ 1, got ${describeValue(cost)}`)
  }
}

/** The public decision for a store's raw step; a step that is not one is the store's failure, not a verdict. */
function decisionOf(policy: Policy, step: StepResult, cost: number, store: Store): Decision {
  const checked = checkStep(step, store)
  return withBlock(describeDecision(policy, checked, cost), checked.blockedUs)
}

/** The step as the store answered it, or a `TypeError` when it is not `{ allowed, debtUs }`. */
export function checkStep(step: StepResult, store: Store): StepResult {
  if (typeof step?.allowed !== 'boolean' || !Number.isSafeInteger(step.debtUs) || step.debtUs < 0) {
    throw new TypeError(`[spillway] the ${store.name} store answered ${describeValue(step)}, not { allowed, debtUs }`)
  }
  return step
}

/** Checks a store's shape at construction, so a wrong object fails now and not on the first request. */
export function validateStore(store: unknown, option = 'store'): Store {
  if (store === undefined || store === null) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_MISSING_OPTION',
      option,
      store,
      'is required: pass new MemoryStore() or a RedisStore',
    )
  }
  if (typeof store !== 'object' || typeof (store as Store).consume !== 'function') {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_STORE',
      option,
      store,
      'must have a consume(key, policy, cost) method',
    )
  }
  return store as Store
}
