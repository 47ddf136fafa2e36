// Spawns a private 3-master Redis Cluster on free loopback ports for tests, joined with redis-cli.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, queryInline, type RedisServer, redisExecutable, spawnRedisServer } from './redis-server.js'

/** One master of a test cluster. `pid` changes when the node is restarted. */
export interface RedisClusterNode {
  readonly port: number
  /** The node's cluster bus port (`--cluster-port`), chosen free rather than `port + 10000`. */
  readonly busPort: number
  readonly pid: number
  /** Kills the node at once (SIGKILL) and waits for it to exit. Its `nodes.conf` stays for a restart. */
  kill(): Promise<void>
  /** Starts a killed node again on the same ports with its `nodes.conf`: same id and slots, no keys. */
  restart(): Promise<void>
  /** Freezes the node (SIGSTOP). Past the node timeout, the others mark it failed and the cluster goes down. */
  pause(): void
  /** Unfreezes a paused node (SIGCONT). */
  resume(): void
}

/** A running cluster owned by the caller. */
export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[]
  /** `{ host, port }` of every node, for `new Cluster(startupNodes)`. */
  readonly startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
  /** Resolves once every running node reports `cluster_state:ok` (throws after `timeoutMs`). */
  waitUntilOk(timeoutMs?: number): Promise<void>
  /** Stops every node by pid and removes the temporary directories. */
  stop(): Promise<void>
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** `cluster-node-timeout`: how long a silent node takes to be marked failed. Default 5000 ms. */
  readonly nodeTimeoutMs?: number
}

const MASTERS = 3
const OK_TIMEOUT_MS = 15_000
const CREATE_TIMEOUT_MS = 30_000
const run = promisify(execFile)
const directories = new Set<string>()

// A crashed test must not leave directories behind (the processes are killed by redis-server.ts).
process.once('exit', () => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
})

/**
 * Starts three `redis-server --cluster-enabled yes` masters on 127.0.0.1, joins them with
 * `redis-cli --cluster create … --cluster-replicas 0` and resolves once every node says `cluster_state:ok`.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster()
 * const client = new Cluster(cluster.startupNodes)
 * await cluster.stop()
 * ```
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const cli = redisExecutable('redis-cli')
  const root = mkdtempSync(join(tmpdir(), 'spillway-cluster-'))
  directories.add(root)
  const nodes: ClusterNode[] = []
  const cluster = clusterHandle(nodes, root)
  try {
    for (let i = 0; i < MASTERS; i++) nodes.push(await startNode(join(root, `node-${i}`), options))
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
    await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: CREATE_TIMEOUT_MS,
    })
    await cluster.waitUntilOk()
    return cluster
  } catch (error) {
    await cluster.stop()
    throw error
  }
}

function clusterHandle(nodes: readonly ClusterNode[], root: string): RedisCluster {
  const cluster: RedisCluster = {
    nodes,
    get startupNodes() {
      return nodes.map((node) => ({ host: '127.0.0.1', port: node.port }))
    },
    async waitUntilOk(timeoutMs = OK_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const states = await Promise.all(
          nodes.filter((node) => node.isRunning()).map((node) => clusterState(node.port)),
        )
        if (states.length > 0 && states.every((state) => state === 'ok')) return
        if (Date.now() > deadline) throw new Error(`cluster not ok within ${timeoutMs} ms: ${states.join(', ')}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()))
      rmSync(root, { recursive: true, force: true })
      directories.delete(root)
    },
  }
  return cluster
}

async function clusterState(port: number): Promise<string> {
  const match = await queryInline(port, 'CLUSTER INFO', /cluster_state:(\w+)/)
  return match?.[1] ?? 'no answer'
}

interface ClusterNode extends RedisClusterNode {
  isRunning(): boolean
  stop(): Promise<void>
}

/** Starts one cluster-enabled node on free ports, trying new ports if another process takes them first. */
async function startNode(dir: string, options: RedisClusterOptions): Promise<ClusterNode> {
  mkdirSync(dir)
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const port = await freePort()
      const busPort = await freePort()
      const spawnOnce = () => spawnClusterServer({ dir, port, busPort, options })
      return nodeHandle({ port, busPort, server: await spawnOnce(), spawnOnce })
    } catch (error) {
      lastError = error
    }
  }
  throw lastError
}

function spawnClusterServer(input: {
  dir: string
  port: number
  busPort: number
  options: RedisClusterOptions
}): Promise<RedisServer> {
  const { dir, port, busPort, options } = input
  return spawnRedisServer({
    executable: redisExecutable('redis-server'),
    port,
    dir,
    extraArgs: [
      ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
      ...['--cluster-port', String(busPort), '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 5000)],
    ],
  })
}

function nodeHandle(input: {
  port: number
  busPort: number
  server: RedisServer
  spawnOnce: () => Promise<RedisServer>
}): ClusterNode {
  let server = input.server
  let running = true
  return {
    port: input.port,
    busPort: input.busPort,
    get pid() {
      return server.pid
    },
    isRunning: () => running,
    async kill() {
      running = false
      await server.kill()
    },
    async restart() {
      await server.kill()
      server = await input.spawnOnce()
      running = true
    },
    pause: () => server.pause(),
    resume: () => server.resume(),
    async stop() {
      running = false
      await server.stop()
    },
  }
}
