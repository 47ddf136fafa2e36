// Runs the shared store suite against HybridStore on a private redis-server: a cold key behaves like RedisStore.
import { HybridStore } from '@spillway/redis'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'
import { testStore } from '../harness/store-suite.js'

const redis = useRedisServer()

// A 1 s budget: a reply a loaded machine delays past the default 250 ms would be decided on the local share.
testStore(
  'HybridStore',
  () => new HybridStore({ client: redis.client, prefix: randomKeyPrefix('hybrid-suite'), timeoutMs: 1000 }),
)
