// withTimeout: every decision settles within the budget; a late answer is ignored, nothing is resent.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPolicy } from '../src/policy.js'
import { StoreTimeoutError, withTimeout } from '../src/store-timeout.js'
import { ScriptedStore } from './test-stores.js'

const policy = createPolicy({ capacity: 3, refillRate: 1 })

beforeEach(() => void vi.useFakeTimers())
afterEach(() => void vi.useRealTimers())

describe('withTimeout', () => {
  it('rejects a hanging call with StoreTimeoutError at the budget, not before', async () => {
    const inner = new ScriptedStore()
    inner.behaviour = 'hang'
    const store = withTimeout(inner, { timeoutMs: 50 })
    const outcome = store.consume('k', policy, 1).then(
      () => 'answered',
      (error: unknown) => error,
    )
    await vi.advanceTimersByTimeAsync(49)
    expect(await Promise.race([outcome, Promise.resolve('pending')])).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    const error = await outcome
    expect(error).toBeInstanceOf(StoreTimeoutError)
    expect(error).toMatchObject({ code: 'ERR_SPILLWAY_STORE_TIMEOUT' })
  })

  it('ignores the late answer and never calls the store again for that decision', async () => {
    const inner = new ScriptedStore()
    inner.behaviour = 'hang'
    const store = withTimeout(inner, { timeoutMs: 50 })
    const outcome = store.consume('k', policy, 1).catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(50)
    inner.release() // the store applied it once, late
    expect(await outcome).toBeInstanceOf(StoreTimeoutError)
    expect(inner.calls).toBe(1)
    inner.behaviour = 'answer'
    // One token of three was taken by the late call, once.
    expect(await store.consume('k', policy, 1)).toMatchObject({ allowed: true, debtUs: 2_000_000 })
  })

  it('passes answers and failures through, and leaves no timer behind', async () => {
    const inner = new ScriptedStore()
    const store = withTimeout(inner, { timeoutMs: 50 })
    expect(await store.consume('k', policy, 1)).toMatchObject({ allowed: true, debtUs: 1_000_000 })
    inner.behaviour = 'fail'
    await expect(store.consume('k', policy, 1)).rejects.toThrow('store down')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('treats a store that throws synchronously as a failure', async () => {
    const store = withTimeout(
      {
        name: 'broken',
        consume: () => {
          throw new Error('sync')
        },
      },
      { timeoutMs: 50 },
    )
    await expect(store.consume('k', policy, 1)).rejects.toThrow('sync')
  })

  it('forwards name, keySpace and close()', async () => {
    const inner = new ScriptedStore()
    const store = withTimeout(inner, { timeoutMs: 50 })
    expect(store.name).toBe('scripted')
    expect(store.keySpace).toBe(inner)
    await store.close?.()
    expect(inner.closed).toBe(true)
  })

  it.each([
    [{ timeoutMs: 0 }, 'withTimeout.timeoutMs', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ timeoutMs: Number.NaN }, 'withTimeout.timeoutMs', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ timeoutMs: 2 ** 31 }, 'withTimeout.timeoutMs', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{}, 'withTimeout.timeoutMs', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ timeoutMs: 50, timeout: 50 }, 'withTimeout.timeout', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
  ])('rejects %j', (options, option, code) => {
    expect(() => withTimeout(new ScriptedStore(), options as { timeoutMs: number })).toThrow(
      expect.objectContaining({ option, code }),
    )
  })
})

describe('withTimeout timers', () => {
  beforeEach(() => void vi.useRealTimers())

  it('never keeps the process alive', async () => {
    const inner = new ScriptedStore()
    inner.behaviour = 'hang'
    const spy = vi.spyOn(globalThis, 'setTimeout')
    void withTimeout(inner, { timeoutMs: 60_000 })
      .consume('k', policy, 1)
      .catch(() => {})
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout
    spy.mockRestore()
    expect(timer.hasRef()).toBe(false)
    clearTimeout(timer)
  })
})
