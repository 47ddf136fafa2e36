// limiter.peek, reset and refund: on MemoryStore with an injected clock, and through every failover wrapper.
import { describe, expect, it } from 'vitest'
import { CircuitOpenError, withCircuitBreaker } from '../src/circuit-breaker.js'
import { createLimiter } from '../src/limiter.js'
import { MemoryStore } from '../src/memory-store.js'
import { resilient } from '../src/resilient-store.js'
import { withFallback } from '../src/store-fallback.js'
import { StoreTimeoutError, withTimeout } from '../src/store-timeout.js'
import type { Store } from '../src/types.js'
import { ScriptedStore } from './test-stores.js'

function memoryLimiter(capacity = 3, refillRate = 1) {
  const clock = { nowUs: 1_000_000 }
  const store = new MemoryStore({ clock: () => clock.nowUs })
  return { clock, store, limiter: createLimiter({ capacity, refillRate, store }) }
}

describe('limiter.peek', () => {
  it('describes the bucket without taking a token', async () => {
    const { limiter } = memoryLimiter()
    expect(await limiter.peek('k')).toMatchObject({ allowed: true, remaining: 3, nextTokenMs: 0, resetMs: 0 })
    await limiter.consume('k', 2)
    const state = await limiter.peek('k')
    expect(state).toMatchObject({ allowed: true, remaining: 1, nextTokenMs: 1000, resetMs: 2000, retryAfterMs: 0 })
    expect(await limiter.peek('k')).toEqual(state)
  })

  it('says when `cost` tokens will be there', async () => {
    const { limiter } = memoryLimiter()
    await limiter.consume('k', 3)
    expect(await limiter.peek('k', 2)).toMatchObject({ allowed: false, cost: 2, retryAfterMs: 2000, remaining: 0 })
    expect(await limiter.peek('k', 4)).toMatchObject({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY })
  })

  it('checks its arguments like consume', async () => {
    const { limiter } = memoryLimiter()
    await expect(limiter.peek('')).rejects.toBeInstanceOf(TypeError)
    await expect(limiter.peek('k', 0)).rejects.toBeInstanceOf(RangeError)
    await expect(limiter.refund('k', 1.5)).rejects.toBeInstanceOf(RangeError)
  })
})

describe('limiter.reset and limiter.refund', () => {
  it('reset makes the bucket full again', async () => {
    const { limiter, store } = memoryLimiter()
    await limiter.consume('k', 3)
    await limiter.reset('k')
    expect(store.size).toBe(0)
    expect(await limiter.consume('k', 3)).toMatchObject({ allowed: true, remaining: 0 })
  })

  it('refund gives tokens back but never raises the bucket above its capacity', async () => {
    const { limiter } = memoryLimiter()
    await limiter.consume('k', 3)
    expect(await limiter.refund('k')).toMatchObject({ allowed: true, remaining: 1, cost: 1 })
    expect(await limiter.refund('k', 100)).toMatchObject({ remaining: 3, resetMs: 0 })
    expect(await limiter.consume('k', 3)).toMatchObject({ allowed: true })
    expect((await limiter.consume('k')).allowed).toBe(false)
  })

  it('a refund after time passed counts from now: tat ← max(now, tat − n·T)', async () => {
    const { limiter, clock } = memoryLimiter()
    await limiter.consume('k', 2) // tat = now + 2 s
    clock.nowUs += 1_500_000 // half a token left to wait for
    expect(await limiter.refund('k', 1)).toMatchObject({ remaining: 3, resetMs: 0 })
  })

  it('a store without the method rejects with a TypeError naming it', async () => {
    const bare: Store = { name: 'bare', consume: () => Promise.resolve({ allowed: true, debtUs: 0 }) }
    const limiter = createLimiter({ capacity: 1, refillRate: 1, store: bare })
    await expect(limiter.peek('k')).rejects.toThrow('the bare store has no peek()')
    await expect(limiter.reset('k')).rejects.toThrow('has no reset()')
    await expect(limiter.refund('k')).rejects.toThrow('has no refund()')
  })
})

describe('failover wrappers forward peek, reset and refund', () => {
  it('withTimeout: within the budget, else StoreTimeoutError; absent when the store lacks them', async () => {
    const inner = new ScriptedStore()
    const limiter = createLimiter({ capacity: 2, refillRate: 1, store: withTimeout(inner, { timeoutMs: 20 }) })
    await limiter.consume('k', 2)
    expect(await limiter.refund('k')).toMatchObject({ remaining: 1 })
    expect(await limiter.peek('k')).toMatchObject({ remaining: 1 })
    inner.behaviour = 'hang'
    await expect(limiter.reset('k')).rejects.toBeInstanceOf(StoreTimeoutError)
    const bare = withTimeout({ name: 'bare', consume: inner.consume.bind(inner) }, { timeoutMs: 20 })
    expect(bare.peek).toBeUndefined()
  })

  it('withCircuitBreaker: the same circuit as consume (failures open it, an open circuit refuses at once)', async () => {
    const inner = new ScriptedStore()
    const store = withCircuitBreaker(inner, { failureThreshold: 2 })
    const limiter = createLimiter({ capacity: 2, refillRate: 1, store })
    inner.behaviour = 'fail'
    await expect(limiter.refund('k')).rejects.toThrow('store down')
    await expect(limiter.peek('k')).rejects.toThrow('store down')
    expect(store.stateOf('k')).toBe('open')
    const calls = inner.calls
    await expect(limiter.consume('k')).rejects.toBeInstanceOf(CircuitOpenError)
    await expect(limiter.reset('k')).rejects.toBeInstanceOf(CircuitOpenError)
    expect(inner.calls).toBe(calls)
  })

  it('withFallback: peek and refund fall back to the local share; reset also forgets the local bucket', async () => {
    const inner = new ScriptedStore()
    const local = new MemoryStore({ clock: () => 0 })
    const limiter = createLimiter({
      capacity: 4,
      refillRate: 1,
      store: withFallback(inner, { local, fleetSize: () => 2 }),
    })
    inner.behaviour = 'fail'
    await limiter.consume('k', 2) // the local share (2 tokens) is empty now
    expect(await limiter.peek('k')).toMatchObject({ allowed: false, remaining: 0, source: 'fallback' })
    expect(await limiter.refund('k')).toMatchObject({ allowed: true, remaining: 1, source: 'fallback' })
    await expect(limiter.reset('k')).rejects.toThrow('store down')
    expect(local.size).toBe(0)
    inner.behaviour = 'answer'
    await limiter.consume('k', 4)
    await limiter.reset('k')
    expect(await limiter.peek('k')).toMatchObject({ remaining: 4 })
  })

  it('resilient: all three, composed', async () => {
    const inner = new ScriptedStore()
    const limiter = createLimiter({ capacity: 2, refillRate: 1, store: resilient(inner) })
    await limiter.consume('k', 2)
    expect(await limiter.refund('k', 2)).toMatchObject({ remaining: 2 })
    await limiter.consume('k', 1)
    await limiter.reset('k')
    expect(await limiter.peek('k')).toMatchObject({ remaining: 2 })
  })
})
