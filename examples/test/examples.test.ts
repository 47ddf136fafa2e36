// Starts each example server as a real process, as `pnpm example <framework>` would, and hits it.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freePort,
  queryInline,
  type RedisServer,
  redisExecutable,
  spawnRedisServer,
  startRedisServer,
} from '../../test/harness/redis-server.js'

const examplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const children = new Set<ChildProcess>()

interface RunningExample {
  readonly url: string
  readonly output: () => string
}

/** Spawns `src/<framework>-server.ts` with tsx and resolves with the URL from its "listening on" line. */
function startExample(framework: string, env: Record<string, string> = {}): Promise<RunningExample> {
  const child = spawn(process.execPath, ['--import', 'tsx', `src/${framework}-server.ts`], {
    cwd: examplesDir,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework} example did not start:\n${output}`)), 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolvePromise({ url: match[1] as string, output: () => output })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${framework} example exited with ${code}:\n${output}`)))
  })
}

async function statuses(url: string, count: number, init?: RequestInit): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push((await fetch(url, init)).status)
  return out
}

/** Waits until the example has printed a line matching `pattern` (10 s at most). */
async function waitForOutput(example: RunningExample, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!pattern.test(example.output())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} from the example within 10 s:\n${example.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

afterAll(() => {
  for (const child of children) child.kill('SIGTERM')
})

describe.each(['express', 'fastify', 'koa'])('the %s example on the in-memory store', (framework) => {
  let example: RunningExample
  beforeAll(async () => {
    example = await startExample(framework, { RATE_LIMIT_CAPACITY: '3', RATE_LIMIT_REFILL_PER_SEC: '0.01' })
  }, 30_000)

  it('logs where it listens and limits GET / by the global policy', async () => {
    expect(example.output()).toContain(`${framework} example listening on http://127.0.0.1:`)
    expect(await statuses(`${example.url}/`, 4)).toEqual([200, 200, 200, 429])
  })

  it('limits POST /login by its stricter route policy too', async () => {
    const login = await fetch(`${example.url}/login`, { method: 'POST' })
    // The global bucket is empty after the previous test: stacked policies reject on the first one.
    expect(login.status).toBe(429)
    expect(login.headers.get('retry-after')).toMatch(/^\d+$/)
  })
})

describe('a mixed fleet of examples on one Redis', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  }, 30_000)
  afterAll(async () => {
    await redis?.stop()
  })

  it('shares one limit per client across Express, Fastify and Koa processes', async () => {
    // A generous store budget: this test is about sharing through Redis, and on a loaded machine an answer
    // slower than the default 50 ms would (rightly) be decided by the local fallback instead.
    const env = {
      REDIS_URL: redis.url,
      RATE_LIMIT_CAPACITY: '6',
      RATE_LIMIT_REFILL_PER_SEC: '0.01',
      RATE_LIMIT_STORE_TIMEOUT_MS: '2000',
    }
    const fleet = await Promise.all(['express', 'fastify', 'koa'].map((framework) => startExample(framework, env)))
    // The examples listen before Redis answers (a request meanwhile is decided in-process, by design): wait
    // until each says its client is ready, so every decision below is made on Redis.
    await Promise.all(fleet.map((example) => waitForOutput(example, /redis: ready/)))
    const results: number[] = []
    for (let round = 0; round < 3; round++) {
      for (const example of fleet) results.push(...(await statuses(`${example.url}/`, 1)))
    }
    expect(results.filter((status) => status === 200)).toHaveLength(6)
    expect(results.slice(6)).toEqual([429, 429, 429])
    const login = await Promise.all(fleet.map((example) => fetch(`${example.url}/login`, { method: 'POST' })))
    expect(login.map((response) => response.status)).toEqual([429, 429, 429])
  }, 60_000)
})

describe('an example on the hybrid store', () => {
  it('limits GET / by the global policy with leases from Redis (RATE_LIMIT_STORE=hybrid)', async () => {
    const redis = await startRedisServer()
    try {
      const env = {
        REDIS_URL: redis.url,
        RATE_LIMIT_STORE: 'hybrid',
        RATE_LIMIT_CAPACITY: '3',
        RATE_LIMIT_REFILL_PER_SEC: '0.01',
      }
      const example = await startExample('koa', env)
      expect(example.output()).toContain('hybrid store (leases) on Redis')
      expect(await statuses(`${example.url}/`, 4)).toEqual([200, 200, 200, 429])
    } finally {
      await redis.stop()
    }
  }, 60_000)
})

describe('an example started while Redis is down', () => {
  it('comes up, limits in-process, and moves to Redis once it starts', async () => {
    const port = await freePort()
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_CAPACITY: '3', RATE_LIMIT_REFILL_PER_SEC: '0.01' }
    const example = await startExample('express', env)
    // No Redis yet: this process decides on its share of the limit (N = 1: the whole limit).
    expect(await statuses(`${example.url}/`, 4)).toEqual([200, 200, 200, 429])
    const dir = mkdtempSync(join(tmpdir(), 'spillway-late-redis-'))
    const redis = await spawnRedisServer({ executable: redisExecutable('redis-server'), port, dir })
    try {
      // Within a few seconds (reconnect, then the circuit's probe) decisions are made on Redis again.
      const deadline = Date.now() + 10_000
      let keys: RegExpExecArray | undefined
      while (Date.now() < deadline && keys === undefined) {
        await fetch(`${example.url}/`)
        keys = await queryInline(port, 'KEYS spillway-example:global:*', /spillway-example:global:\{127\.0\.0\.1\}/)
        if (keys === undefined) await new Promise((resolveWait) => setTimeout(resolveWait, 200))
      }
      expect(keys?.[0]).toBe('spillway-example:global:{127.0.0.1}')
    } finally {
      await redis.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('the quick-start demo', () => {
  it('runs the Fastify example, fires a burst at itself and prints allowed and limited counts', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo.ts', '--once'], {
      cwd: examplesDir,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.add(child)
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise((done) => child.once('exit', done))
    expect(code, output).toBe(0)
    expect(output).toMatch(/second 1: +\d+ allowed, +\d+ limited \(429\)/)
    expect(output).toContain('200 200 200 200 200 429 429')
    expect(output).toMatch(/retry-after: [1-9]/)
  }, 30_000)
})

describe('the metrics example', () => {
  /** Scrapes GET /metrics: Prometheus's text format. */
  async function scrape(url: string): Promise<string> {
    const response = await fetch(`${url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    return response.text()
  }

  it('exposes decisions by policy and outcome, held requests and store latency on /metrics', async () => {
    const example = await startExample('metrics', { RATE_LIMIT_CAPACITY: '3', RATE_LIMIT_REFILL_PER_SEC: '0.01' })
    // The second /report waits for the next token (1 s) instead of a 429; each also takes a global token.
    expect(await statuses(`${example.url}/report`, 2)).toEqual([200, 200])
    expect(await statuses(`${example.url}/`, 2)).toEqual([200, 429])
    const text = await scrape(example.url)
    expect(text).toContain('spillway_decisions_total{policy="global",outcome="allowed",source="store"} 3')
    expect(text).toContain('spillway_decisions_total{policy="global",outcome="rejected",source="store"} 1')
    expect(text).toContain('spillway_decisions_total{policy="report",outcome="delayed",source="store"} 1')
    expect(text).toContain('spillway_waits_total{policy="report",result="released"} 1')
    expect(text).toMatch(/spillway_store_latency_seconds_count\{policy="global"\} 4/)
    expect(text).toContain('process_cpu_seconds_total') // prom-client's defaults sit beside them
  }, 30_000)

  it('shows the Redis store failing over: store errors, the circuit open, decisions from the fallback', async () => {
    const port = await freePort() // nothing listens there
    const example = await startExample('metrics', {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RATE_LIMIT_CAPACITY: '20',
      RATE_LIMIT_REFILL_PER_SEC: '0.01',
    })
    expect(await statuses(`${example.url}/`, 8)).toEqual(Array(8).fill(200))
    const text = await scrape(example.url)
    expect(text).toContain('spillway_circuit_state{store="redis",partition=""} 2')
    expect(text).toMatch(/spillway_store_errors_total\{store="redis",handled_by="local"\} [5-8]/)
    expect(text).toContain('spillway_decisions_total{policy="global",outcome="allowed",source="fallback"} 8')
  }, 30_000)
})
