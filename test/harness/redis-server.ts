// Spawns a private redis-server on a free loopback port for tests; never touches a shared instance.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** A running redis-server owned by the caller. */
export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly pid: number
  /** Terminates the server (SIGTERM, then SIGKILL after 2 s) and waits for it to exit. */
  stop(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void
  /** Unfreezes a paused server (SIGCONT). */
  resume(): void
  /** Kills the server at once (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>
}

export const REDIS_SERVER_NOT_FOUND =
  "redis-server not found: install the Debian package 'redis-server' (apt-get install -y redis-server)"
export const REDIS_CLI_NOT_FOUND =
  "redis-cli not found: install the Debian package 'redis-tools' (apt-get install -y redis-server)"

const READY_TIMEOUT_MS = 10_000
const STOP_GRACE_MS = 2_000
const running = new Set<ChildProcess>()

// A test that crashes must not leave servers behind: kill what is still running, by pid.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * Starts `redis-server` on a port chosen by the OS, bound to 127.0.0.1, with no persistence,
 * and resolves once it answers PING. Throws when `redis-server` is not on PATH; never skips.
 *
 * @example
 * ```ts
 * const server = await startRedisServer()
 * const client = new Redis(server.port, '127.0.0.1')
 * await server.stop()
 * ```
 */
export async function startRedisServer(): Promise<RedisServer> {
  const executable = redisExecutable('redis-server')
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-redis-'))
    try {
      return await spawnRedisServer({ executable, port: await freePort(), dir, removeDirOnExit: true })
    } catch (error) {
      lastError = error // another process may have taken the port between probe and bind
    }
  }
  throw lastError
}

/** How to start one redis-server: on a given port and directory, with extra arguments (e.g. cluster mode). */
export interface SpawnRedisOptions {
  /** The `redis-server` path, from {@link redisExecutable}. */
  readonly executable: string
  readonly port: number
  /** The server's working directory (`--dir`). */
  readonly dir: string
  /** Arguments after the defaults (`--port --bind 127.0.0.1 --save '' --appendonly no --dir`). */
  readonly extraArgs?: readonly string[]
  /** Remove `dir` once the process exits (a single server); false to keep it for a restart. */
  readonly removeDirOnExit?: boolean
}

/**
 * Spawns redis-server on `options.port` and resolves once it answers as itself (its pid); kills it and
 * throws if it does not. The process is killed by pid when the test process exits.
 *
 * @example
 * ```ts
 * const server = await spawnRedisServer({ executable: redisExecutable('redis-server'), port, dir })
 * ```
 */
export async function spawnRedisServer(options: SpawnRedisOptions): Promise<RedisServer> {
  const { executable, port, dir } = options
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
  const child = spawn(executable, [...args, ...(options.extraArgs ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => {
    running.delete(child)
    if (options.removeDirOnExit) rmSync(dir, { recursive: true, force: true })
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
  try {
    await waitUntilReady(port, child.pid as number, exited)
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw new Error(`redis-server on port ${port} did not start: ${String(error)}\n${output}`)
  }
  return serverHandle(child, port, exited)
}

/**
 * The path of a Redis executable on PATH (`redis-server`, `redis-cli`); throws a clear error when missing.
 *
 * @example
 * ```ts
 * const cli = redisExecutable('redis-cli')
 * ```
 */
export function redisExecutable(name: 'redis-server' | 'redis-cli'): string {
  const executable = findOnPath(name)
  if (executable === undefined) throw new Error(name === 'redis-server' ? REDIS_SERVER_NOT_FOUND : REDIS_CLI_NOT_FOUND)
  return executable
}

/**
 * A prefix no other test shares, so tests on one server never see each other's keys.
 *
 * @example
 * ```ts
 * const store = new RedisStore({ client, prefix: randomKeyPrefix('race') })
 * ```
 */
export function randomKeyPrefix(label = 'test'): string {
  return `t:${label}:${randomBytes(4).toString('hex')}:`
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

function serverHandle(child: ChildProcess, port: number, exited: Promise<void>): RedisServer {
  const pid = child.pid as number
  const isRunning = () => child.exitCode === null && child.signalCode === null
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    async stop() {
      if (!isRunning()) return
      process.kill(pid, 'SIGCONT') // a paused server would hold SIGTERM pending forever
      process.kill(pid, 'SIGTERM')
      const timer = setTimeout(() => isRunning() && process.kill(pid, 'SIGKILL'), STOP_GRACE_MS)
      await exited
      clearTimeout(timer)
    },
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    async kill() {
      if (isRunning()) process.kill(pid, 'SIGKILL')
      await exited
    },
  }
}

/**
 * Asks the OS for a free port on 127.0.0.1 by listening on port 0 and closing again.
 *
 * @example
 * ```ts
 * const port = await freePort()
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(address)))
    })
  })
}

/** Waits until the server on `port` answers and is ours (its process_id is `pid`), not a stranger on a reused port. */
async function waitUntilReady(port: number, pid: number, exited: Promise<void>): Promise<void> {
  let exitedEarly = false
  void exited.then(() => (exitedEarly = true))
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (exitedEarly) throw new Error('redis-server exited')
    const answeringPid = await readServerPid(port)
    if (answeringPid === pid) return
    if (answeringPid !== undefined) throw new Error(`port ${port} is served by another process (${answeringPid})`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no answer within ${READY_TIMEOUT_MS} ms`)
}

/** Sends `INFO server` over a raw socket and returns the `process_id` in the reply, if any. */
async function readServerPid(port: number): Promise<number | undefined> {
  const match = await queryInline(port, 'INFO server', /process_id:(\d+)\r\n/)
  return match ? Number(match[1]) : undefined
}

/**
 * Sends one inline command over a raw socket (no client, no retries) and resolves with the first match of
 * `pattern` in the reply; `undefined` on an error reply (e.g. `-LOADING`), a refused connection or after 500 ms.
 *
 * @example
 * ```ts
 * const ok = await queryInline(port, 'CLUSTER INFO', /cluster_state:ok/)
 * ```
 */
export function queryInline(port: number, command: string, pattern: RegExp): Promise<RegExpExecArray | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    let reply = ''
    const done = (match: RegExpExecArray | undefined) => {
      socket.destroy()
      resolve(match)
    }
    socket.setTimeout(500, () => done(undefined))
    socket.once('error', () => done(undefined))
    socket.once('connect', () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      const match = pattern.exec(reply)
      if (match) done(match)
      else if (reply.startsWith('-')) done(undefined)
    })
  })
}
