// Spillway's event surface: named node:diagnostics_channel channels, free when nobody subscribes.
import { type Channel, channel, subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { CircuitState } from './circuit-breaker.js'
import type { Decision } from './types.js'

/**
 * The channel names, stable across versions: subscribe with `diagnostics_channel.subscribe(name, fn)`
 * or {@link subscribeSpillwayEvents}. Names are process-wide, so an ESM and a CJS copy of Spillway
 * (or two versions) publish on the same channels.
 */
export const EVENT_CHANNELS = Object.freeze({
  decision: 'spillway:decision',
  wait: 'spillway:wait',
  storeError: 'spillway:store-error',
  circuit: 'spillway:circuit',
  hybridSync: 'spillway:hybrid-sync',
} as const)

/** How a decided request went: `delayed` was admitted on credit and waits `waitMs` before going on. */
export type DecisionOutcome = 'allowed' | 'delayed' | 'rejected'

/**
 * `spillway:decision`: one per request a policy decided (not for skipped or failed ones). A decision over
 * several policies at once (all-or-nothing: a Fastify route's policy stack, an Express or Koa route policy
 * after an app-wide one) publishes one event per policy it decided: `outcome` says whether that policy's
 * bucket had the tokens, `violatedPolicies` whether the request was admitted.
 */
export interface DecisionEvent {
  /** The policy that decided: for `capacity`/`refillRate` functions, the variant's `<name>:<B>@<R>/s`. */
  readonly policy: string
  /** The client key (before namespacing). */
  readonly key: string
  readonly outcome: DecisionOutcome
  readonly decision: Decision
  /** Milliseconds from asking the store to its answer, the fallback included (≈0 in memory). */
  readonly storeLatencyMs: number
  /**
   * Set when several policies were decided together: the ones that rejected the request (empty when it
   * was admitted). When it is not empty, no policy kept the request's tokens.
   */
  readonly violatedPolicies?: readonly string[]
}

/** `spillway:wait`: a delayed request's wait ended — it went on, or its client left and got its tokens back. */
export interface WaitEvent {
  readonly policy: string
  readonly key: string
  readonly cost: number
  readonly waitedMs: number
  readonly abandoned: boolean
}

/**
 * `spillway:store-error`: a store failed or was too slow. `handledBy` says what decided instead:
 * `'local'` (the in-process share, the default for remote stores), or the `onStoreError` mode.
 */
export interface StoreErrorEvent {
  readonly store: string
  readonly error: unknown
  readonly handledBy: 'local' | 'allow' | 'deny' | 'error'
  /** The policy, when the request pipeline saw the failure (absent from the local fallback). */
  readonly policy?: string
}

/** `spillway:circuit`: a circuit breaker changed state (every breaker, the one `resilient()` builds too). */
export interface CircuitEvent {
  readonly store: string
  readonly partition: string
  readonly from: CircuitState
  readonly to: CircuitState
  readonly error?: unknown
}

/** `spillway:hybrid-sync`: one HybridStore sync call ended. */
export interface HybridSyncEvent {
  readonly store: string
  /** Keys the call carried (leases taken or returned). */
  readonly keys: number
  readonly durationMs: number
  readonly ok: boolean
  /** N as the store knows it after the call. */
  readonly fleetSize: number
  readonly error?: unknown
}

/** The message type of each channel. */
export interface SpillwayEventMap {
  decision: DecisionEvent
  wait: WaitEvent
  storeError: StoreErrorEvent
  circuit: CircuitEvent
  hybridSync: HybridSyncEvent
}

/** The channel objects; publishers check `hasSubscribers` first, so an unobserved event costs one property read. */
export const spillwayChannels: { readonly [Name in keyof SpillwayEventMap]: Channel } = Object.freeze({
  decision: channel(EVENT_CHANNELS.decision),
  wait: channel(EVENT_CHANNELS.wait),
  storeError: channel(EVENT_CHANNELS.storeError),
  circuit: channel(EVENT_CHANNELS.circuit),
  hybridSync: channel(EVENT_CHANNELS.hybridSync),
})

/**
 * Publishes `build()` on a channel when someone listens (the message is built only then). A subscriber
 * that throws is Node's to report (`uncaughtException` on the next tick), never the request's.
 *
 * @example
 * ```ts
 * publishEvent('circuit', () => ({ store: 'redis', partition: '', from: 'closed', to: 'open' }))
 * ```
 */
export function publishEvent<Name extends keyof SpillwayEventMap>(
  name: Name,
  build: () => SpillwayEventMap[Name],
): void {
  const target = spillwayChannels[name]
  if (target.hasSubscribers) target.publish(build())
}

/**
 * Publishes one policy's decision on `spillway:decision` (when someone listens): `policy` is the policy
 * that decided (`decision.policy.name`: for `capacity`/`refillRate` functions, the variant's name);
 * `violatedPolicies` is set for a decision over several policies at once.
 *
 * @example
 * ```ts
 * publishDecision('203.0.113.7', decision, performance.now() - startedMs)
 * ```
 */
export function publishDecision(
  key: string,
  decision: Decision,
  storeLatencyMs: number,
  violatedPolicies?: readonly string[],
): void {
  const outcome = !decision.allowed ? 'rejected' : decision.waitMs === undefined ? 'allowed' : 'delayed'
  const policy = decision.policy.name
  const stacked = violatedPolicies === undefined ? undefined : { violatedPolicies }
  publishEvent('decision', () => ({ policy, key, outcome, decision, storeLatencyMs, ...stacked }))
}

/** Handlers for {@link subscribeSpillwayEvents}, one per channel, each optional. */
export type SpillwayEventHandlers = {
  readonly [Name in keyof SpillwayEventMap]?: (event: SpillwayEventMap[Name]) => void
}

/**
 * Subscribes to Spillway's channels; returns the function that unsubscribes every handler.
 *
 * @example
 * ```ts
 * const stop = subscribeSpillwayEvents({
 *   decision: (event) => log.debug(event.policy, event.outcome),
 *   circuit: ({ store, from, to }) => log.warn(`${store} circuit ${from} → ${to}`),
 * })
 * ```
 */
export function subscribeSpillwayEvents(handlers: SpillwayEventHandlers): () => void {
  const subscribed: Array<[string, (message: unknown) => void]> = []
  for (const name of Object.keys(EVENT_CHANNELS) as (keyof SpillwayEventMap)[]) {
    const handler = handlers[name] as ((event: unknown) => void) | undefined
    if (handler === undefined) continue
    const listener = (message: unknown) => handler(message)
    subscribe(EVENT_CHANNELS[name], listener)
    subscribed.push([EVENT_CHANNELS[name], listener])
  }
  return () => {
    for (const [name, listener] of subscribed) unsubscribe(name, listener)
  }
}
