import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string, entry = 'index') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${entry}.ts`, import.meta.url))

// Tests import workspace packages from source, so the suite needs no build. Subpaths first: exact matches.
export const alias = [
  { find: /^@spillway\/core\/adapter$/, replacement: src('core', 'adapter') },
  { find: /^@spillway\/core\/store$/, replacement: src('core', 'store') },
  { find: /^@spillway\/core$/, replacement: src('core') },
  { find: /^@spillway\/redis$/, replacement: src('redis') },
  { find: /^@spillway\/express$/, replacement: src('express') },
  { find: /^@spillway\/fastify$/, replacement: src('fastify') },
  { find: /^@spillway\/koa$/, replacement: src('koa') },
  { find: /^@spillway\/prometheus$/, replacement: src('prometheus') },
]

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
