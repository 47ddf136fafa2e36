// Drives apps in process: fresh request/response pairs with no socket I/O, in alternating batches, CPU per request.
import { IncomingMessage, type RequestListener, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

/** Requests sent before yielding to the event loop, so responses finish as they would under load. */
const BURST = 100

/** A socket that is never connected: its remote address is all the apps read from it. */
const socket = new Socket()
Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' })

/** Sends one `GET /` from 127.0.0.1 to `handle`; the response is complete once the event loop has turned. */
export function send(handle: RequestListener): ServerResponse {
  const request = new IncomingMessage(socket)
  Object.assign(request, { method: 'GET', url: '/', headers: { host: 'localhost' }, rawHeaders: ['host', 'localhost'] })
  request.complete = true
  request.push(null)
  const response = new ServerResponse(request)
  handle(request, response)
  return response
}

/** Sends `count` requests in bursts of {@link BURST}; resolves the responses when all are done. */
export async function drive(handle: RequestListener, count: number, keep = false): Promise<ServerResponse[]> {
  const responses: ServerResponse[] = []
  for (let sent = 0; sent < count; sent += BURST) {
    for (let i = 0; i < Math.min(BURST, count - sent); i++) {
      const response = send(handle)
      if (keep) responses.push(response)
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  return responses
}

/**
 * Fails unless each of `count` requests was answered with `status` and ended: an error page must never be
 * measured as a cheap response.
 */
export async function checkStatus(label: string, handle: RequestListener, status: number, count = 200): Promise<void> {
  const responses = await drive(handle, count, true)
  const wrong = responses.find((response) => response.statusCode !== status || !response.writableEnded)
  if (wrong) throw new Error(`${label}: expected ${status}, got ${wrong.statusCode} (ended: ${wrong.writableEnded})`)
}

export interface Alternation {
  /** Batches per variant. */
  readonly batches: number
  /** Requests per batch. */
  readonly batchSize: number
}

/**
 * CPU µs per request of each handler, one value per batch: the handlers run in alternating batches (the
 * order reversed every other round, so none always follows the same one), so that all see the same drift of
 * a shared machine. Process CPU time (user + system) over the batch, divided by its requests.
 */
export async function alternateBatches(
  handles: readonly RequestListener[],
  { batches, batchSize }: Alternation,
): Promise<number[][]> {
  const samples = handles.map((): number[] => [])
  const order = handles.map((_, index) => index)
  for (let round = 0; round < batches; round++) {
    for (const index of round % 2 === 0 ? order : [...order].reverse()) {
      const before = process.cpuUsage()
      await drive(handles[index] as RequestListener, batchSize)
      const { user, system } = process.cpuUsage(before)
      samples[index]?.push((user + system) / batchSize)
    }
  }
  return samples
}
