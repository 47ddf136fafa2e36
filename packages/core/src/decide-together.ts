// One all-or-nothing decision over the buckets of a request's policies, whatever stores they live in.
import type { MaybePromise } from './request-outcome.js'
import type { ConsumeStep, StepResult, Store } from './types.js'

/** One policy's bucket in a request's decision: the step and the store that keeps the bucket. */
export interface StackStep extends ConsumeStep {
  readonly store: Store
}

/**
 * Steps decided by one call: all steps of a store with `consumeAll` (`'all'`); one step of a store without
 * it (`'one'`); one held step of a store without it, which needs no call (`'held'`).
 */
interface Unit {
  readonly kind: 'all' | 'one' | 'held'
  readonly store: Store
  readonly indices: number[]
}

type Settled = { ok: true; value: StepResult[] } | { ok: false; error: unknown }

/**
 * Decides `steps` all-or-nothing: every policy takes its tokens, or none keeps any. The steps of one store
 * with `consumeAll` are one atomic call (one Redis script, one in-memory step); steps on different stores,
 * or on a store without `consumeAll`, are taken together and those taken are given back (`refund`) when
 * another rejects. In memory every call is synchronous, so no other request runs in between and the answer
 * is synchronous too. Each result says whether its bucket had the tokens; `debtUs` is its state after the
 * decision (after the give-back when the request was rejected). A store failure fails the decision, after
 * giving back what other stores took.
 *
 * @example
 * ```ts
 * const results = await decideStack([{ store, key: 'global:{ip}', policy: global, cost: 1 }, …])
 * const admitted = results.every((result) => result.allowed)
 * ```
 */
export function decideStack(steps: readonly StackStep[]): MaybePromise<StepResult[]> {
  const units = unitsOf(steps)
  const runs = units.map((unit) => settle(() => runUnit(unit, steps)))
  return chain(all(runs), (settled) => finish(units, steps, settled))
}

/** Groups steps by store: one unit per store that decides several at once, else one per step. */
function unitsOf(steps: readonly StackStep[]): Unit[] {
  const byStore = new Map<Store, Unit>()
  const units: Unit[] = []
  steps.forEach((step, index) => {
    const { store } = step
    if (store.consumeAll || store.consumeAllSync) {
      const unit = byStore.get(store)
      if (unit) unit.indices.push(index)
      else {
        const created: Unit = { kind: 'all', store, indices: [index] }
        byStore.set(store, created)
        units.push(created)
      }
    } else units.push({ kind: step.held ? 'held' : 'one', store, indices: [index] })
  })
  return units
}

function runUnit(unit: Unit, steps: readonly StackStep[]): MaybePromise<StepResult[]> {
  const mine = unit.indices.map((index) => steps[index] as StackStep)
  const { store } = unit
  if (unit.kind === 'held') return [{ allowed: true, debtUs: 0 }]
  if (unit.kind === 'one') {
    const step = mine[0] as StackStep
    const { key, policy, cost } = step
    if (store.consumeSync) return nowOrGiveBack(step, store.consumeSync(key, policy, cost))
    return store.consume(key, policy, cost).then((result) => nowOrGiveBack(step, result))
  }
  const plain = mine.map(({ key, policy, cost, held }) => ({ key, policy, cost, ...(held && { held }) }))
  if (store.consumeAllSync) return store.consumeAllSync(plain)
  return (store.consumeAll as NonNullable<Store['consumeAll']>).call(store, plain)
}

/**
 * A step of a store without `consumeAll` that was admitted on credit (a policy with `maxWait`): together
 * with other policies a request waits for none, so its tokens were not there now. They are given back, and
 * the step says it had not the tokens.
 */
function nowOrGiveBack(step: StackStep, result: StepResult): MaybePromise<StepResult[]> {
  const frame = result.fallbackPolicy ?? step.policy
  if (!result.allowed || result.debtUs <= frame.burstUs) return [result]
  const { store, key, policy, cost } = step
  const refused = (given: StepResult): StepResult[] => [{ ...given, allowed: false }]
  if (store.refundSync) return refused(store.refundSync(key, policy, cost))
  if (!store.refund) throw new TypeError(`[spillway] the ${store.name} store has no refund(): its tokens stay taken`)
  return store.refund(key, policy, cost).then(refused)
}

/** The results in step order; when one unit rejected or failed, the units that took give their tokens back. */
function finish(units: readonly Unit[], steps: readonly StackStep[], settled: readonly Settled[]) {
  const results: StepResult[] = new Array(steps.length)
  let failure: Settled | undefined
  let rejected = false
  units.forEach((unit, u) => {
    const outcome = settled[u] as Settled
    if (!outcome.ok) failure ??= outcome
    else place(results, unit.indices, outcome.value)
  })
  for (const result of results) if (result && !result.allowed) rejected = true
  if (failure === undefined && !rejected) return results
  const tookUnits = units.filter((_, u) => tookAll(settled[u] as Settled))
  const releases = tookUnits.map((unit) => settle(() => releaseUnit(unit, steps)))
  return chain(all(releases), (released) => {
    if (failure !== undefined && !failure.ok) throw failure.error
    tookUnits.forEach((unit, u) => {
      const outcome = released[u] as Settled
      // A give-back that failed leaves the unit's results as they were: that store kept the tokens.
      if (outcome.ok) place(results, unit.indices, outcome.value)
    })
    return results
  })
}

/** Puts a unit's results at its steps' places. */
function place(results: StepResult[], indices: readonly number[], values: readonly StepResult[]): void {
  indices.forEach((index, i) => {
    results[index] = values[i] as StepResult
  })
}

function tookAll(outcome: Settled): boolean {
  return outcome.ok && outcome.value.every((result) => result.allowed)
}

/** Gives back every token a unit holds (taken now or held from before); each bucket had its tokens. */
function releaseUnit(unit: Unit, steps: readonly StackStep[]): MaybePromise<StepResult[]> {
  const { store } = unit
  const given = unit.indices.map((index): MaybePromise<StepResult> => {
    const { key, policy, cost } = steps[index] as StackStep
    if (store.refundSync) return store.refundSync(key, policy, cost)
    if (!store.refund) throw new TypeError(`[spillway] the ${store.name} store has no refund(): its tokens stay taken`)
    return store.refund(key, policy, cost)
  })
  return chain(all(given), (done) => done.map((result) => ({ ...result, allowed: true })))
}

/** Calls `run`, catching a throw or a rejection into a settled value; synchronous when `run` is. */
function settle(run: () => MaybePromise<StepResult[]>): MaybePromise<Settled> {
  try {
    const value = run()
    if (!isThenable(value)) return { ok: true, value }
    return value.then(
      (resolved) => ({ ok: true, value: resolved }),
      (error: unknown) => ({ ok: false, error }),
    )
  } catch (error) {
    return { ok: false, error }
  }
}

/** Every value, synchronously when none is a promise. */
function all<T>(values: readonly MaybePromise<T>[]): MaybePromise<T[]> {
  if (!values.some(isThenable)) return values as T[]
  return Promise.all(values)
}

function chain<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable(value) ? value.then(next) : next(value)
}

function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function'
}
