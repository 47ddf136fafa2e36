// resilient(): budget, breaker and fallback composed; a store that hangs, then recovers, on fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CircuitTransition } from '../src/circuit-breaker.js'
import { createLimiter } from '../src/limiter.js'
import { resilient } from '../src/resilient-store.js'
import type { Decision } from '../src/types.js'
import { ScriptedStore } from './test-stores.js'

beforeEach(() => void vi.useFakeTimers())
afterEach(() => void vi.useRealTimers())

/** Runs one decision and measures how long (fake) time it took. */
async function timed(consume: () => Promise<Decision>): Promise<{ decision: Decision; ms: number }> {
  const started = Date.now()
  const pending = consume()
  let decision: Decision | undefined
  void pending.then((d) => (decision = d))
  await vi.advanceTimersByTimeAsync(0)
  while (decision === undefined) await vi.advanceTimersByTimeAsync(1)
  return { decision, ms: Date.now() - started }
}

describe('resilient', () => {
  it('pays the 50 ms budget 5 times, then decides locally at once until a probe finds the store back', async () => {
    const inner = new ScriptedStore()
    const transitions: CircuitTransition[] = []
    const store = resilient(inner, { clock: () => Date.now(), onStateChange: (t) => transitions.push(t) })
    const limiter = createLimiter({ capacity: 3, refillRate: 0.5, store })
    expect((await timed(() => limiter.consume('a'))).decision.source).toBeUndefined()

    inner.behaviour = 'hang'
    const slow = []
    for (let i = 0; i < 5; i++) slow.push(await timed(() => limiter.consume('b')))
    expect(slow.map((r) => r.ms)).toEqual([50, 50, 50, 50, 50])
    expect(store.stateOf()).toBe('open')
    const fast = []
    for (let i = 0; i < 3; i++) fast.push(await timed(() => limiter.consume('b')))
    expect(fast.map((r) => [r.ms, r.decision.allowed, r.decision.source])).toEqual([
      [0, false, 'fallback'], // the local share (the whole limit, N = 1) is spent: 3 tokens, 5 asked
      [0, false, 'fallback'],
      [0, false, 'fallback'],
    ])
    expect(inner.calls).toBe(6)

    inner.behaviour = 'answer'
    await vi.advanceTimersByTimeAsync(1000) // the cool-down
    const probe = await timed(() => limiter.consume('c'))
    expect(probe.decision.source).toBeUndefined()
    expect(store.stateOf()).toBe('closed')
    expect(transitions.map(({ to }) => to)).toEqual(['open', 'half-open', 'closed'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('validates its options under resilient.*', () => {
    const inner = new ScriptedStore()
    expect(() => resilient(inner, { timeoutMs: 0 })).toThrow(expect.objectContaining({ option: 'resilient.timeoutMs' }))
    expect(() => resilient(inner, { coolDownMs: Number.POSITIVE_INFINITY })).toThrow(
      expect.objectContaining({ option: 'resilient.coolDownMs' }),
    )
    expect(() => resilient(inner, { fleetSize: 2 } as never)).toThrow(
      expect.objectContaining({ option: 'resilient.fleetSize', code: 'ERR_SPILLWAY_INVALID_OPTION' }),
    )
    expect(() => resilient(inner, { budgetMs: 50 } as never)).toThrow(
      expect.objectContaining({ option: 'resilient.budgetMs', code: 'ERR_SPILLWAY_UNKNOWN_OPTION' }),
    )
  })

  it('forwards keySpace and close()', async () => {
    const inner = new ScriptedStore()
    const store = resilient(inner)
    expect(store.keySpace).toBe(inner)
    expect(store.name).toBe('scripted')
    await store.close?.()
    expect(inner.closed).toBe(true)
  })
})
