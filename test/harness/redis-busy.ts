// Keeping Redis busy while a test makes requests from separate callbacks: how a batching rule is tested.
import { Redis } from 'ioredis'

/** Keeps Redis busy for ARGV[1] µs of its own clock: every other connection's commands wait meanwhile. */
const BUSY_SCRIPT = `local function now_us() local t = redis.call('TIME') return t[1] * 1000000 + t[2] end
local until_us = now_us() + tonumber(ARGV[1])
while now_us() < until_us do end
return 1`

/**
 * Runs `work` while the server on `port` runs a script for `busyMs` on a connection of its own: a call sent
 * meanwhile stays in flight until then. Resolves `work`'s result once both are done.
 *
 * @example
 * ```ts
 * await whileRedisBusy(redis.server.port, 50, () => decideAll(store, many(2)))
 * ```
 */
export async function whileRedisBusy<T>(port: number, busyMs: number, work: () => Promise<T>): Promise<T> {
  const blocker = new Redis(port, '127.0.0.1', { lazyConnect: true })
  try {
    await blocker.connect()
    const busy = blocker.eval(BUSY_SCRIPT, 0, String(busyMs * 1000))
    const [result] = await Promise.all([work(), busy])
    return result
  } finally {
    blocker.disconnect()
  }
}

/**
 * Calls `make` from `count` timer callbacks: separate macrotasks, each with its own end of tick, as requests
 * read from separate sockets are. Resolves what each call's promise resolves, in order.
 *
 * @example
 * ```ts
 * await fromSeparateCallbacks(3, (i) => store.consume(`p:{${i}}`, policy, 1))
 * ```
 */
export async function fromSeparateCallbacks<T>(count: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const made = await new Promise<Promise<T>[]>((resolve) => {
    const promises: Promise<T>[] = []
    for (let i = 0; i < count; i++) {
      setTimeout(() => {
        promises.push(make(i))
        if (promises.length === count) resolve(promises)
      }, 0)
    }
  })
  return Promise.all(made)
}
