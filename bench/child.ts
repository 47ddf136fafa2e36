// Runs a bench TypeScript file in its own Node process (via tsx) and reads the lines it prints.
import { type ChildProcess, spawn } from 'node:child_process'

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export interface BenchChild {
  readonly pid: number
  /** Resolves the first printed line that starts with `prefix`, without the prefix. */
  nextLine(prefix: string): Promise<string>
  /** Writes `line` and a newline to the child's stdin. */
  send(line: string): void
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>
}

/**
 * Starts `node [nodeArgs] --import tsx <file> ...args` from the repository root, or from `cwd` (another
 * checkout, with the same relative `file`). `pnpm bench` sets
 * TSX_TSCONFIG_PATH=bench/tsconfig.json (no paths), so Spillway is loaded from its built packages, as users run it.
 *
 * @example
 * ```ts
 * const server = startChild('bench/http/server.ts', [JSON.stringify(config)])
 * const port = Number(await server.nextLine('port '))
 * ```
 */
export function startChild(
  file: string,
  args: readonly string[],
  nodeArgs: readonly string[] = [],
  { cwd }: { cwd?: string } = {},
): BenchChild {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file, ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  running.add(child)
  let closed = false
  // 'close' comes after the last stdout chunk, unlike 'exit'.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  void exited.then(() => {
    closed = true
    running.delete(child)
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const lines: string[] = []
  let buffered = ''
  let waiter: (() => void) | undefined
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    lines.push(...parts)
    waiter?.()
  })
  void exited.then(() => waiter?.())
  const nextLine = async (prefix: string): Promise<string> => {
    for (;;) {
      const index = lines.findIndex((line) => line.startsWith(prefix))
      if (index >= 0)
        return lines
          .splice(0, index + 1)
          .pop()!
          .slice(prefix.length)
      if (closed) {
        throw new Error(
          `${file} exited (${child.exitCode ?? child.signalCode}) before printing "${prefix}":\n${stderr}`,
        )
      }
      await new Promise<void>((resolve) => (waiter = resolve))
    }
  }
  const stop = async () => {
    if (!closed) child.kill('SIGTERM')
    await exited
  }
  const send = (line: string) => {
    child.stdin.write(`${line}\n`)
  }
  return { pid: child.pid as number, nextLine, send, stop }
}
