// RedisStore through an ioredis Cluster client on a private 3-master Redis Cluster: exact, spread, survives a restart.
import { createPolicy, storeKey } from '@spillway/core/store'
import {
  HybridStore,
  RedisStore,
  type RedisStoreOptions,
  tokenBucketBatchScript,
  tokenBucketScript,
} from '@spillway/redis'
import { type Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySlot as keySlotOf } from '../../packages/redis/src/key-slot.js'
import { adaptClient } from '../../packages/redis/src/script-runner.js'
import { scriptCalls } from '../harness/command-stats.js'
import { testConsumeAll } from '../harness/consume-all-suite.js'
import { decide, decideAll } from '../harness/decide.js'
import { connectLimiterCluster } from '../harness/redis-client.js'
import { type RedisCluster, startRedisCluster } from '../harness/redis-cluster.js'
import { randomKeyPrefix } from '../harness/redis-server.js'
import { testStore } from '../harness/store-suite.js'
import { type ConnectedClient, connectCluster } from './client-kinds.js'

let cluster: RedisCluster
let client: Cluster
/** One plain connection per node, to see which node holds which key. */
let direct: Redis[] = []
/** iovalkey and node-redis cluster clients, for the store suite. */
let others: ConnectedClient[] = []

beforeAll(async () => {
  cluster = await startRedisCluster()
  client = await connectLimiterCluster(cluster.startupNodes, { redisOptions: { commandTimeout: 1000 } })
  direct = cluster.nodes.map((node) => new Redis(node.port, '127.0.0.1', { lazyConnect: true }))
  for (const connection of direct) connection.on('error', () => {}) // a killed node is expected: no unhandled errors
  await Promise.all(direct.map((connection) => connection.connect()))
  others = [
    await connectCluster('iovalkey', cluster.startupNodes),
    await connectCluster('node-redis', cluster.startupNodes),
  ]
})

afterAll(async () => {
  for (const other of others) await other.close()
  client?.disconnect()
  for (const connection of direct) connection.disconnect()
  await cluster?.stop()
})

/** The port of the master that serves `slot`, from CLUSTER SLOTS. */
async function portOfSlot(slot: number): Promise<number> {
  const ranges = (await (direct[0] as Redis).call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>
  const range = ranges.find(([first, last]) => slot >= first && slot <= last)
  if (range === undefined) return expect.fail(`slot ${slot} is served by no node`)
  return range[2][1]
}

testStore(
  'RedisStore (3-master Cluster)',
  () => new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('suite') }),
)
testConsumeAll(
  'RedisStore (3-master Cluster)',
  () => new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('all') }),
)
testStore(
  'RedisStore (3-master Cluster), batch: false',
  () => new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('suite'), batch: false }),
)
for (const kind of ['iovalkey', 'node-redis'] as const) {
  const clientOf = () => others.find((other) => other.kind === kind)?.client as RedisStoreOptions['client']
  testStore(
    `RedisStore (3-master Cluster via ${kind})`,
    () => new RedisStore({ client: clientOf(), prefix: randomKeyPrefix('suite') }),
  )
  it(`sees the ${kind} cluster client as a cluster`, () => {
    expect(adaptClient(clientOf())).toMatchObject({ isCluster: true })
  })
}

// A 1 s budget: a reply a loaded machine delays past the default 250 ms would be decided on the local share.
testStore(
  'HybridStore (3-master Cluster)',
  () => new HybridStore({ client, prefix: randomKeyPrefix('hybrid'), timeoutMs: 1000 }),
)

describe('HybridStore on a 3-master Redis Cluster', () => {
  it('leases for clients on every master, exact per client, and gives back what it did not spend on close', async () => {
    const prefix = randomKeyPrefix('hybrid-spread')
    const store = new HybridStore({ client, prefix, syncIntervalMs: 1000, timeoutMs: 1000 })
    const policy = createPolicy({ name: 'lease', capacity: 10, refillRate: 0.01 })
    const ids = Array.from({ length: 30 }, (_, i) => `198.51.100.${i}`)
    // 12 decisions per client, all in one tick: one process (N = 1) may spend at most B = 10 of each.
    const requests = ids.flatMap((key) => Array.from({ length: 12 }, () => ({ key, policy, cost: 1 })))
    const decisions = await decideAll(store, requests)
    for (const [index] of ids.entries()) {
      const own = decisions.slice(12 * index, 12 * (index + 1))
      expect(own.filter((d) => d.allowed)).toHaveLength(10)
    }
    const perNode = await Promise.all(direct.map((connection) => connection.keys(`${prefix}lease:*`)))
    expect(perNode.map((keys) => keys.length > 0)).toEqual([true, true, true])
    expect(store.fleetSize()).toBe(1)
    await store.close()

    // Spend 3 of a fresh client's tokens through leases, close: Redis holds exactly the 3 spent.
    const other = new HybridStore({ client, prefix, syncIntervalMs: 1000, timeoutMs: 1000 })
    const fresh = ids.map((id) => `fresh:${id}`)
    await decideAll(
      other,
      fresh.flatMap((key) => [1, 2, 3].map(() => ({ key, policy, cost: 1 }))),
    )
    await other.close()
    const reader = new RedisStore({ client, heartbeat: false, prefix })
    for (const key of fresh) {
      const { debtUs } = await reader.peek(storeKey(policy.name, key), policy)
      expect(Math.round(debtUs / policy.emissionIntervalUs)).toBe(3)
    }
  })
})

// In file order, after the suite: the last test stops the cluster.
describe('RedisStore on a 3-master Redis Cluster', () => {
  it('decides exactly on one key: a burst of B, then rejections', async () => {
    const store = new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('cluster') })
    const policy = createPolicy({ name: 'exact', capacity: 5, refillRate: 0.1 })
    const decisions = await Promise.all(Array.from({ length: 12 }, () => decide(store, '203.0.113.7', policy, 1)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5)
    expect((await decide(store, '203.0.113.7', policy, 1)).allowed).toBe(false)
  })

  it('spreads the keys of many clients over all 3 masters, each on the master of its slot', async () => {
    const prefix = randomKeyPrefix('spread')
    const store = new RedisStore({ client, heartbeat: false, prefix })
    const policy = createPolicy({ name: 'spread', capacity: 3, refillRate: 1 })
    const ids = Array.from({ length: 60 }, (_, i) => `198.51.100.${i}`)
    const decisions = await decideAll(
      store,
      ids.map((key) => ({ key, policy, cost: 1 })),
    )
    expect(decisions.every((d) => d.allowed && d.remaining === 2)).toBe(true)

    const perNode = await Promise.all(direct.map((connection) => connection.keys(`${prefix}*`)))
    expect(perNode.map((keys) => keys.length > 0)).toEqual([true, true, true])
    expect(perNode.flat().sort()).toEqual(ids.map((id) => store.redisKey(storeKey(policy.name, id))).sort())
    for (const [index, keys] of perNode.entries()) {
      for (const key of keys) {
        const slot = Number(await (direct[index] as Redis).call('CLUSTER', 'KEYSLOT', key))
        expect(await portOfSlot(slot)).toBe(cluster.nodes[index]?.port)
      }
    }
  })

  it('keeps every policy of one client in one slot (the client key is the hash tag)', async () => {
    const store = new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('tag') })
    const policies = ['a', 'b', 'c'].map((name) => createPolicy({ name, capacity: 2, refillRate: 1 }))
    const slots = await Promise.all(
      policies.map((policy) =>
        (direct[0] as Redis).call('CLUSTER', 'KEYSLOT', store.redisKey(storeKey(policy.name, 'user:42'))),
      ),
    )
    expect(new Set(slots).size).toBe(1)
    const decisions = await decideAll(
      store,
      policies.map((policy) => ({ key: 'user:42', policy, cost: 2 })),
    )
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
    ])
  })

  it('groups a batch by slot: one script call per slot, each on its master (CLUSTER KEYSLOT agrees)', async () => {
    const store = new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('group') })
    const policies = ['a', 'b'].map((name) => createPolicy({ name, capacity: 3, refillRate: 1 }))
    const ids = Array.from({ length: 20 }, (_, i) => `198.51.100.${i}`)
    const slots = new Set<number>()
    for (const id of ids) {
      const slot = Number(await (direct[0] as Redis).call('CLUSTER', 'KEYSLOT', store.redisKey(storeKey('a', id))))
      expect(keySlotOf(store.redisKey(storeKey('b', id)))).toBe(slot)
      slots.add(slot)
    }
    for (const connection of direct) {
      await connection.script('LOAD', tokenBucketScript)
      await connection.script('LOAD', tokenBucketBatchScript)
      await connection.config('RESETSTAT')
    }
    // Two policies per client, three rounds of requests: 120 decisions in one tick.
    const requests = [1, 2, 3].flatMap(() => ids.flatMap((key) => policies.map((policy) => ({ key, policy, cost: 1 }))))
    const decisions = await decideAll(store, requests)
    expect(decisions.map((d) => d.remaining)).toEqual([
      ...Array(40).fill(2),
      ...Array(40).fill(1),
      ...Array(40).fill(0),
    ])
    const calls = await Promise.all(direct.map(scriptCallsOn))
    expect(calls.reduce((total, n) => total + n, 0)).toBe(slots.size)
  })

  it('computes the slot of any key as CLUSTER KEYSLOT does (tags, empty tags, unbalanced braces, UTF-8)', async () => {
    const keys = [
      '',
      'a',
      '{}',
      '{}x',
      'x{}y{z}',
      '{a}{b}',
      'a{b',
      'a}b{c}',
      '{{a}}',
      '{é}',
      'ключ',
      '🙂{🙂}',
      'sw:api:{203.0.113.7}',
    ]
    for (let i = 0; i < 40; i++) keys.push(`k${i}:{${(i * 7919).toString(36)}}`)
    for (const key of keys) {
      expect(keySlotOf(key)).toBe(Number(await (direct[0] as Redis).call('CLUSTER', 'KEYSLOT', key)))
    }
  })

  it('fails decisions for keys of a killed master without hanging, and decides again once it is back', async () => {
    const store = new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('restart') })
    const policy = createPolicy({ name: 'restart', capacity: 2, refillRate: 0.1 })
    const node = cluster.nodes[1]
    if (node === undefined) return expect.fail('no second node')
    const id = await idOnNode(store, policy, node.port)
    await decide(store, id, policy, 2)
    expect((await decide(store, id, policy, 1)).allowed).toBe(false)

    const oldPid = node.pid
    await node.kill()
    await expect(decide(store, id, policy, 1)).rejects.toThrow()
    await node.restart()
    expect(node.pid).not.toBe(oldPid)
    await cluster.waitUntilOk()
    // No persistence: the restarted master lost its keys, so the bucket is full again.
    const decision = await eventually(() => decide(store, id, policy, 1))
    expect(decision).toMatchObject({ allowed: true, remaining: 1 })
  })

  it('times out (no hang) on a paused master and decides again once it resumes', async () => {
    const store = new RedisStore({ client, heartbeat: false, prefix: randomKeyPrefix('pause') })
    const policy = createPolicy({ name: 'pause', capacity: 2, refillRate: 0.1 })
    const node = cluster.nodes[2]
    if (node === undefined) return expect.fail('no third node')
    const id = await idOnNode(store, policy, node.port)
    node.pause()
    try {
      await expect(decide(store, id, policy, 1)).rejects.toThrow(/timed out/i)
    } finally {
      node.resume()
    }
    // The timed-out call may still have run once the node woke up: at most one token of two is gone.
    expect((await eventually(() => decide(store, id, policy, 1))).allowed).toBe(true)
  })

  it('stop() kills every node by pid', async () => {
    const pids = cluster.nodes.map((node) => node.pid)
    for (const connection of direct) connection.disconnect()
    direct = []
    for (const other of others) await other.close()
    others = []
    client.disconnect()
    await cluster.stop()
    expect(pids.map(isAlive)).toEqual([false, false, false])
  })
})

/** EVALSHA and EVAL calls on one node since its last CONFIG RESETSTAT. */
async function scriptCallsOn(connection: Redis): Promise<number> {
  const { evalsha, eval: evals } = await scriptCalls(connection)
  return evalsha + evals
}

/** A client key whose bucket (under `policy`) lives on the master listening on `port`. */
async function idOnNode(store: RedisStore, policy: ReturnType<typeof createPolicy>, port: number): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const id = `client-${i}`
    const slot = Number(
      await (direct[0] as Redis).call('CLUSTER', 'KEYSLOT', store.redisKey(storeKey(policy.name, id))),
    )
    if ((await portOfSlot(slot)) === port) return id
  }
  return expect.fail(`no key on port ${port} in 1000 tries`)
}

/** Retries `attempt` for up to 10 s while the client learns that the node is back. */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
