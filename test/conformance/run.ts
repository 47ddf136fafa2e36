// Runs every conformance scenario against one adapter: on MemoryStore, then on a private redis-server.
import { MemoryStore } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import { describe, test } from 'vitest'
import { patientStore } from '../harness/patient-store.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'
import type { AppFactory, ScenarioContext } from './app-factory.js'
import { scenarios } from './scenarios/index.js'

/** Declares the suite for `app`: each scenario once per store. */
export function describeConformance(app: AppFactory): void {
  describe(`${app.name} ${app.version} on MemoryStore`, () => {
    const ctx: ScenarioContext = { app, storeKind: 'memory', store: () => new MemoryStore() }
    for (const scenario of scenarios.filter((s) => !s.sharedStoreOnly)) {
      test(`${scenario.id}: ${scenario.name}`, () => scenario.run(ctx))
    }
  })

  describe(`${app.name} ${app.version} on Redis`, () => {
    const redis = useRedisServer()
    // Not the default 50 ms budget: a Redis answer a loaded machine made slower would be decided by a fresh
    // local bucket, and the counts below are Redis's.
    const store = (prefix = randomKeyPrefix(app.name)) => patientStore(new RedisStore({ client: redis.client, prefix }))
    const ctx: ScenarioContext = { app, storeKind: 'redis', store }
    for (const scenario of scenarios) test(`${scenario.id}: ${scenario.name}`, () => scenario.run(ctx))
  })
}
