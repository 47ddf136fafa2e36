// Test worker processes (forked with tsx): start one, ask it a question by id, stop it by closing IPC.
import { type ChildProcess, fork } from 'node:child_process'

/** What every worker reply carries: the id of the request it answers, and an error if it failed. */
export interface WorkerReply {
  readonly id: number
  readonly error?: string
}

let nextId = 1

/**
 * Forks `path` (a TypeScript worker) with `args` and resolves once it sends its first message (ready).
 *
 * @example
 * ```ts
 * const worker = await startWorker(WORKER_PATH, [String(port), prefix])
 * ```
 */
export function startWorker(path: string, args: readonly string[]): Promise<ChildProcess> {
  const worker = fork(path, [...args], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker))
    worker.once('exit', (code) => reject(new Error(`worker ${path} exited with ${code} before it was ready`)))
  })
}

/** Sends `request` with a fresh id and resolves with the reply of that id (rejects with its error). */
export function askWorker<Request extends object, Reply extends WorkerReply>(
  worker: ChildProcess,
  request: Request,
): Promise<Reply> {
  const id = nextId++
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      if (reply.id !== id) return
      worker.off('message', onMessage)
      if (reply.error !== undefined) reject(new Error(reply.error))
      else resolve(reply)
    }
    worker.on('message', onMessage)
    worker.send({ ...request, id })
  })
}

/** Closing the IPC channel makes a worker quit its client and exit; SIGTERM by pid if it lingers. */
export async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return
  const exited = new Promise((resolve) => worker.once('exit', resolve))
  const timer = setTimeout(() => worker.pid !== undefined && process.kill(worker.pid, 'SIGTERM'), 2000)
  worker.disconnect()
  await exited
  clearTimeout(timer)
}
