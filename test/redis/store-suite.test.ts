// Runs the shared store suite against core's MemoryStore and against RedisStore on a private redis-server.
import { MemoryStore } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import { testConsumeAll } from '../harness/consume-all-suite.js'
import { patientStore } from '../harness/patient-store.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'
import { testStore } from '../harness/store-suite.js'

const redis = useRedisServer()

testStore('MemoryStore', () => new MemoryStore())
testStore('RedisStore', () => new RedisStore({ client: redis.client, prefix: randomKeyPrefix('suite') }))

testConsumeAll('MemoryStore', () => new MemoryStore())
testConsumeAll('RedisStore', () => new RedisStore({ client: redis.client, prefix: randomKeyPrefix('all') }))
// resilient() with a 2 s budget: at the default 50 ms, a slow answer would be decided by a fresh local bucket.
testConsumeAll('resilient(RedisStore)', () =>
  patientStore(new RedisStore({ client: redis.client, prefix: randomKeyPrefix('all') })),
)
