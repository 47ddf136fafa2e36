// Packs every package as npm would publish it and imports the tarballs from a CommonJS and an ESM consumer.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const packages = ['core', 'redis', 'express', 'fastify', 'koa', 'prometheus'] as const
/** Each public entry point (subpaths included) and some of the functions it must export. */
const entries = {
  '@spillway/core': ['createLimiter', 'MemoryStore', 'SpillwayConfigError', 'subscribeSpillwayEvents'],
  '@spillway/core/adapter': ['createRequestLimiter', 'rateLimitHeaders'],
  '@spillway/core/store': ['stepBucket', 'storeKey', 'createPolicy'],
  '@spillway/redis': ['RedisStore'],
  '@spillway/express': ['rateLimit'],
  '@spillway/fastify': ['rateLimit'],
  '@spillway/koa': ['rateLimit'],
  '@spillway/prometheus': ['collectSpillwayMetrics'],
} as const
let consumer = ''

/** Links a third-party dependency of `pkg` into the consumer, as a package manager would install it. */
function linkDependency(pkg: string, dependency: string): void {
  const target = join(consumer, 'node_modules', dependency)
  try {
    const manifest = createRequire(join(root, 'packages', pkg, 'package.json')).resolve(`${dependency}/package.json`)
    mkdirSync(dirname(target), { recursive: true })
    symlinkSync(dirname(manifest), target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

function installPacked(pkg: string): void {
  const packDir = join(consumer, 'tarballs')
  execFileSync('pnpm', ['pack', '--pack-destination', packDir], { cwd: join(root, 'packages', pkg), stdio: 'pipe' })
  const tarball = readdirSync(packDir).find((file) => file.startsWith(`spillway-${pkg}-`)) as string
  const target = join(consumer, 'node_modules', '@spillway', pkg)
  mkdirSync(target, { recursive: true })
  execFileSync('tar', ['-xzf', join(packDir, tarball), '-C', target, '--strip-components=1'])
  const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'))
  const external = { ...manifest.dependencies, ...manifest.peerDependencies }
  for (const dependency of Object.keys(external))
    if (!dependency.startsWith('@spillway/')) linkDependency(pkg, dependency)
}

function run(args: string[]): string {
  return execFileSync('node', args, { cwd: consumer, encoding: 'utf8' })
}

beforeAll(() => {
  execFileSync('pnpm', ['build'], { cwd: root, stdio: 'pipe' })
  consumer = mkdtempSync(join(tmpdir(), 'spillway-consumer-'))
  for (const pkg of packages) installPacked(pkg)
}, 180_000)

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true })
})

describe.each(packages)('@spillway/%s as published', (pkg) => {
  it('ships ESM, CJS and types for both', () => {
    const files = readdirSync(join(consumer, 'node_modules', '@spillway', pkg, 'dist'))
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']))
  })
})

describe.each(Object.entries(entries))('%s as published', (specifier, names) => {
  it('is required from CommonJS', () => {
    const script = `const m = require('${specifier}'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`
    expect(JSON.parse(run(['-e', script]))).toEqual(names.map(() => 'function'))
  })

  it('is imported from ESM', () => {
    const script = `const m = await import('${specifier}'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`
    expect(JSON.parse(run(['--input-type=module', '-e', script]))).toEqual(names.map(() => 'function'))
  })
})

describe('error help', () => {
  it('ships docs/errors.md where every error message points', () => {
    const script =
      "console.log(require('node:fs').readFileSync(require.resolve('@spillway/core/docs/errors.md'), 'utf8').length)"
    expect(Number(run(['-e', script]))).toBeGreaterThan(1000)
  })
})

describe('events across copies', () => {
  it('counts in a CommonJS @spillway/prometheus the decisions of an ESM @spillway/core (one diagnostics channel)', () => {
    const script = [
      "import { createRequire } from 'node:module'",
      "const require = createRequire(process.cwd() + '/consumer.cjs')",
      "const { collectSpillwayMetrics } = require('@spillway/prometheus')",
      "const { Registry } = require('prom-client')",
      "const { createRequestLimiter } = await import('@spillway/core/adapter')",
      'const registry = new Registry()',
      'collectSpillwayMetrics({ registry })',
      "createRequestLimiter({ name: 'api', capacity: 1, refillRate: 1 }).check({}, '192.0.2.1')",
      'console.log(await registry.metrics())',
    ].join('\n')
    expect(run(['--input-type=module', '-e', script])).toContain(
      'spillway_decisions_total{policy="api",outcome="allowed",source="store"} 1',
    )
  })
})
