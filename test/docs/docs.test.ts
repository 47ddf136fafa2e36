// Keeps the docs in step with the code: every export listed in docs/api.md, every error code with its anchor, no dead links.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RATE_LIMIT_OPTION_NAMES } from '@spillway/core/adapter'
import { errorHelp } from '@spillway/core/store'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** Each public entry point and the source file it is built from. */
const ENTRIES = {
  '@spillway/core': 'packages/core/src/index.ts',
  '@spillway/core/adapter': 'packages/core/src/adapter.ts',
  '@spillway/core/store': 'packages/core/src/store.ts',
  '@spillway/redis': 'packages/redis/src/index.ts',
  '@spillway/express': 'packages/express/src/index.ts',
  '@spillway/fastify': 'packages/fastify/src/index.ts',
  '@spillway/koa': 'packages/koa/src/index.ts',
  '@spillway/prometheus': 'packages/prometheus/src/index.ts',
} as const

/** The markdown files whose relative links must resolve (anchors included). */
const LINKED_DOCS = [
  'README.md',
  'docs/api.md',
  'docs/design.md',
  'docs/errors.md',
  'docs/failure-modes.md',
  'docs/headers.md',
  'docs/observability.md',
  'docs/options.md',
  ...['core', 'express', 'fastify', 'koa', 'prometheus'].flatMap((pkg) => [
    `packages/${pkg}/README.md`,
    `packages/${pkg}/CHANGELOG.md`,
  ]),
]

/**
 * The names a module exports: `export { a, type B, c as d } [from …]`, `export type { … }` and
 * `export const|let|function|class|interface|type|enum name`. Comments are dropped first.
 */
function exportedNames(source: string): Set<string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  if (/export\s+\*/.test(code)) throw new Error('`export *` hides names: list them')
  const names = new Set<string>()
  for (const [, list] of code.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of (list as string).split(',')) {
      const words = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
      const name = words.at(-1)?.trim()
      if (name) names.add(name)
    }
  }
  const declaration =
    /export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:const|let|var|function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g
  for (const [, name] of code.matchAll(declaration)) names.add(name as string)
  return names
}

/** GitHub's heading anchor: lowercase, punctuation but `-` and `_` dropped, spaces to `-`. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a markdown file's headings, with GitHub's `-1`, `-2` suffixes for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const [, heading] of withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = githubAnchor(heading as string)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '')
}

/** docs/api.md: the names listed as `- \`name\`` under each `## \`entry\`` heading. */
function documentedNames(markdown: string): Map<string, Set<string>> {
  const byEntry = new Map<string, Set<string>>()
  let current: Set<string> | undefined
  for (const line of withoutCodeBlocks(markdown).split('\n')) {
    const heading = /^##\s+`([^`]+)`/.exec(line)
    if (heading) {
      current = new Set()
      byEntry.set(heading[1] as string, current)
      continue
    }
    if (/^##?\s/.test(line)) current = undefined
    const item = /^[-*]\s+`([A-Za-z_$][\w$]*)`/.exec(line)
    if (item && current) current.add(item[1] as string)
  }
  return byEntry
}

/** The members of the `SpillwayErrorCode` union in errors.ts. */
function errorCodeUnion(): string[] {
  const source = read('packages/core/src/errors.ts')
  const union = /export type SpillwayErrorCode =([^;]*?)(?:\n\s*\n|;)/.exec(source)?.[1] ?? ''
  return [...union.matchAll(/'([A-Z_]+)'/g)].map((match) => match[1] as string)
}

/** Every code string the packages' sources use: errors, request-time error classes, process warnings. */
function codesInSources(): Set<string> {
  const files = Object.values(ENTRIES).flatMap((entry) => {
    const dir = dirname(entry)
    return readdirSync(join(root, dir))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(dir, file))
  })
  const codes = new Set<string>()
  for (const file of files) {
    for (const [code] of read(file).matchAll(/\b(?:ERR_)?SPILLWAY_[A-Z0-9_]+\b/g)) codes.add(code)
  }
  return codes
}

describe('docs/api.md lists every exported name of every entry point, and nothing else', () => {
  const documented = documentedNames(read('docs/api.md'))
  for (const [entry, file] of Object.entries(ENTRIES)) {
    it(`${entry} (${file})`, () => {
      const exported = exportedNames(read(file))
      const listed = documented.get(entry)
      expect(listed, `docs/api.md has no heading ## \`${entry}\``).toBeDefined()
      expect(
        [...exported].filter((name) => !listed?.has(name)),
        'exported but not in docs/api.md',
      ).toEqual([])
      expect(
        [...(listed ?? [])].filter((name) => !exported.has(name)),
        'in docs/api.md but not exported',
      ).toEqual([])
    })
  }

  it('has no heading for an entry point that does not exist', () => {
    expect([...documented.keys()].filter((entry) => !(entry in ENTRIES))).toEqual([])
  })

  it('parses the export forms the entry files use', () => {
    const names = exportedNames(
      [
        "export { a, type B, c as d } from './x.js'",
        'export type { E,\n  F } from "./y.js"',
        '// export const commented = 1',
        'export const g = 1',
        'export function h() {}',
        'export class I {}',
        'export interface J {}',
        'export type K = string',
      ].join('\n'),
    )
    expect([...names].sort()).toEqual(['B', 'E', 'F', 'I', 'J', 'K', 'a', 'd', 'g', 'h'])
  })
})

describe('docs/errors.md has one heading per code, at the anchor error messages link to', () => {
  const anchors = anchorsOf(read('docs/errors.md'))

  it('GitHub anchors are computed as GitHub does', () => {
    expect(githubAnchor('`ERR_SPILLWAY_INVALID_OPTION`')).toBe('err_spillway_invalid_option')
    expect(githubAnchor('The key and trust proxy, per framework')).toBe('the-key-and-trust-proxy-per-framework')
  })

  it('finds the codes of the SpillwayErrorCode union', () => {
    expect(errorCodeUnion()).toContain('ERR_SPILLWAY_INVALID_OPTION')
    expect(errorCodeUnion().length).toBeGreaterThanOrEqual(8)
  })

  for (const code of errorCodeUnion()) {
    it(`${code}: ${errorHelp(code)}`, () => {
      const fragment = errorHelp(code).split('#')[1] as string
      expect(anchors.has(fragment), `no heading with anchor #${fragment}`).toBe(true)
    })
  }

  it('covers every code the sources use: request-time errors and process warnings too', () => {
    const codes = [...codesInSources()]
    expect(codes).toEqual(expect.arrayContaining(['ERR_SPILLWAY_REQUEST_FAILED', 'SPILLWAY_NO_CLIENT_ADDRESS']))
    expect(codes.filter((code) => !anchors.has(code.toLowerCase()))).toEqual([])
  })
})

describe('docs/options.md is the one options reference', () => {
  const options = read('docs/options.md')

  it('has a table row for every option of rateLimit, and for the adapter-specific ones', () => {
    const rows = new Set([...options.matchAll(/^\|\s*`([A-Za-z0-9]+)`/gm)].map((match) => match[1]))
    const expected = [...RATE_LIMIT_OPTION_NAMES, 'handler', 'global']
    expect(expected.filter((name) => !rows.has(name))).toEqual([])
  })

  for (const pkg of ['express', 'fastify', 'koa']) {
    it(`packages/${pkg}/README.md links to it and repeats no options table`, () => {
      const readme = read(`packages/${pkg}/README.md`)
      expect(readme).toMatch(/\]\(\.\.\/\.\.\/docs\/options\.md[#)]/)
      expect(readme).not.toMatch(/^\|\s*`capacity`/m)
    })
  }
})

describe('relative links in the docs resolve, anchors included', () => {
  for (const doc of LINKED_DOCS) {
    it(doc, () => {
      const markdown = withoutCodeBlocks(read(doc))
      const dead: string[] = []
      for (const [, target] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target as string)) continue
        const [path, fragment] = (target as string).split('#') as [string, string | undefined]
        const file = path === '' ? join(root, doc) : resolve(root, dirname(doc), path)
        if (!existsSync(file)) dead.push(`${target} (no file)`)
        else if (fragment && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(fragment)) {
          dead.push(`${target} (no heading)`)
        }
      }
      expect(dead).toEqual([])
    })
  }
})
