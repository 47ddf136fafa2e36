import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// Tests import workspace packages from source, so the suite needs no build.
export const alias = {
  '@spillway/core': src('core'),
  '@spillway/redis': src('redis'),
  '@spillway/express': src('express'),
  '@spillway/fastify': src('fastify'),
  '@spillway/koa': src('koa'),
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
