// Stores written for the wrapper tests: one that answers, fails or hangs on command, and counts its calls.
import { MemoryStore } from '../src/memory-store.js'
import type { Policy, StepResult, Store } from '../src/types.js'

export type Behaviour = 'answer' | 'fail' | 'hang'

/** A store whose next calls answer (from a MemoryStore), fail, or hang until `release()`. */
export class ScriptedStore implements Store {
  readonly name = 'scripted'
  behaviour: Behaviour = 'answer'
  calls = 0
  closed = false
  readonly buckets = new MemoryStore({ clock: () => 0 })
  private readonly hanging: Array<() => void> = []

  consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    this.calls++
    if (this.behaviour === 'fail') return Promise.reject(new Error('store down'))
    if (this.behaviour === 'answer') return this.buckets.consume(key, policy, cost)
    return new Promise((resolve) => this.hanging.push(() => resolve(this.buckets.consumeSync(key, policy, cost))))
  }

  peek(key: string, policy: Policy): Promise<StepResult> {
    return this.act(() => this.buckets.peekSync(key, policy))
  }

  reset(key: string, policy: Policy): Promise<void> {
    return this.act(() => this.buckets.resetSync(key, policy))
  }

  refund(key: string, policy: Policy, tokens: number): Promise<StepResult> {
    return this.act(() => this.buckets.refundSync(key, policy, tokens))
  }

  /** Counts the call, then answers, fails or hangs like `consume`. */
  private act<T>(answer: () => T): Promise<T> {
    this.calls++
    if (this.behaviour === 'fail') return Promise.reject(new Error('store down'))
    if (this.behaviour === 'answer') return Promise.resolve(answer())
    return new Promise((resolve) => this.hanging.push(() => resolve(answer())))
  }

  /** Answers every hanging call now (late). */
  release(): void {
    for (const answer of this.hanging.splice(0)) answer()
  }

  close(): Promise<void> {
    this.closed = true
    return Promise.resolve()
  }
}
