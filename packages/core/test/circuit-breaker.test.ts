// withCircuitBreaker: opens after failures in a row, stops calling the store, probes once, closes; on an injected clock.
import { describe, expect, it } from 'vitest'
import { CircuitOpenError, type CircuitTransition, withCircuitBreaker } from '../src/circuit-breaker.js'
import { createPolicy } from '../src/policy.js'
import { ScriptedStore } from './test-stores.js'

const policy = createPolicy({ capacity: 100, refillRate: 1 })

function setup(extra: { partitionOf?: (key: string) => string } = {}) {
  const clock = { ms: 0 }
  const inner = new ScriptedStore()
  const transitions: CircuitTransition[] = []
  const store = withCircuitBreaker(inner, {
    failureThreshold: 3,
    coolDownMs: 1000,
    clock: () => clock.ms,
    onStateChange: (transition) => transitions.push(transition),
    ...extra,
  })
  const attempt = (key = 'k') =>
    store.consume(key, policy, 1).then(
      () => 'ok' as const,
      (error: unknown) => (error instanceof CircuitOpenError ? ('refused' as const) : ('failed' as const)),
    )
  return { clock, inner, store, transitions, attempt }
}

describe('withCircuitBreaker', () => {
  it('opens after failureThreshold failures in a row, then refuses without calling the store', async () => {
    const { inner, store, transitions, attempt } = setup()
    inner.behaviour = 'fail'
    expect([await attempt(), await attempt(), await attempt()]).toEqual(['failed', 'failed', 'failed'])
    expect(store.stateOf()).toBe('open')
    expect(transitions).toEqual([{ from: 'closed', to: 'open', partition: '', error: expect.any(Error) }])
    expect([await attempt(), await attempt()]).toEqual(['refused', 'refused'])
    expect(inner.calls).toBe(3)
  })

  it('counts failures in a row only: one success starts the count again', async () => {
    const { inner, store, attempt } = setup()
    for (const behaviour of ['fail', 'fail', 'answer', 'fail', 'fail'] as const) {
      inner.behaviour = behaviour
      await attempt()
    }
    expect(store.stateOf()).toBe('closed')
  })

  it('lets one probe through after the cool-down and closes when it answers', async () => {
    const { clock, inner, store, transitions, attempt } = setup()
    inner.behaviour = 'fail'
    for (let i = 0; i < 3; i++) await attempt()
    clock.ms = 999
    expect(await attempt()).toBe('refused')
    clock.ms = 1000
    inner.behaviour = 'hang'
    const probe = attempt()
    expect(store.stateOf()).toBe('half-open')
    expect([await attempt(), await attempt()]).toEqual(['refused', 'refused']) // one probe at a time
    expect(inner.calls).toBe(4)
    inner.release()
    expect(await probe).toBe('ok')
    expect(store.stateOf()).toBe('closed')
    expect(transitions.map(({ from, to }) => `${from}→${to}`)).toEqual([
      'closed→open',
      'open→half-open',
      'half-open→closed',
    ])
    inner.behaviour = 'answer'
    expect(await attempt()).toBe('ok')
  })

  it('opens again for a whole cool-down when the probe fails', async () => {
    const { clock, inner, store, transitions, attempt } = setup()
    inner.behaviour = 'fail'
    for (let i = 0; i < 3; i++) await attempt()
    clock.ms = 1500
    expect(await attempt()).toBe('failed')
    expect(store.stateOf()).toBe('open')
    clock.ms = 2499
    expect(await attempt()).toBe('refused')
    clock.ms = 2500
    inner.behaviour = 'answer'
    expect(await attempt()).toBe('ok')
    expect(transitions.map(({ to }) => to)).toEqual(['open', 'half-open', 'open', 'half-open', 'closed'])
    expect(transitions[2]?.error).toBeInstanceOf(Error)
  })

  it('ignores answers to calls made before the last transition', async () => {
    const { inner, store, attempt } = setup()
    inner.behaviour = 'hang'
    const early = attempt() // sent while closed, answered after the circuit opened
    inner.behaviour = 'fail'
    for (let i = 0; i < 3; i++) await attempt()
    inner.release()
    expect(await early).toBe('ok')
    expect(store.stateOf()).toBe('open')
  })

  it('keeps one circuit per partition: a failing part does not stop the others', async () => {
    const { inner, store, transitions, attempt } = setup({ partitionOf: (key) => key.slice(0, 1) })
    inner.behaviour = 'fail'
    for (let i = 0; i < 3; i++) await attempt('a1')
    inner.behaviour = 'answer'
    expect(await attempt('a2')).toBe('refused')
    expect(await attempt('b1')).toBe('ok')
    expect([store.stateOf('a9'), store.stateOf('b9')]).toEqual(['open', 'closed'])
    expect(transitions).toEqual([expect.objectContaining({ partition: 'a', to: 'open' })])
  })

  it('carries on when the hook throws', async () => {
    const inner = new ScriptedStore()
    inner.behaviour = 'fail'
    const store = withCircuitBreaker(inner, {
      failureThreshold: 1,
      onStateChange: () => {
        throw new Error('hook')
      },
    })
    await expect(store.consume('k', policy, 1)).rejects.toThrow('store down')
    await expect(store.consume('k', policy, 1)).rejects.toBeInstanceOf(CircuitOpenError)
  })

  it('forwards keySpace and close()', async () => {
    const inner = new ScriptedStore()
    const store = withCircuitBreaker(inner)
    expect(store.keySpace).toBe(inner)
    await store.close?.()
    expect(inner.closed).toBe(true)
  })

  it.each([
    [{ failureThreshold: 0 }, 'withCircuitBreaker.failureThreshold', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ failureThreshold: 2.5 }, 'withCircuitBreaker.failureThreshold', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ coolDownMs: -1 }, 'withCircuitBreaker.coolDownMs', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ onStateChange: 'log' }, 'withCircuitBreaker.onStateChange', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ threshold: 5 }, 'withCircuitBreaker.threshold', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
  ])('rejects %j', (options, option, code) => {
    expect(() => withCircuitBreaker(new ScriptedStore(), options as never)).toThrow(
      expect.objectContaining({ option, code }),
    )
  })
})
