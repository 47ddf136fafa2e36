// The quick-start demo: starts the Fastify example on the in-memory store, fires a short burst at
// itself, prints what was allowed and limited each second, then keeps serving (or exits with --once).
import { type ExampleConfig, logListening, readConfig } from './config.js'
import { startFastify } from './fastify-server.js'

const SECONDS = 3
const REQUESTS_PER_SECOND = 20

async function burst(url: string): Promise<void> {
  console.log(`\nFiring ${REQUESTS_PER_SECOND} requests/s at GET / for ${SECONDS} s:`)
  for (let second = 1; second <= SECONDS; second++) {
    const statuses: number[] = []
    for (let i = 0; i < REQUESTS_PER_SECOND; i++) {
      statuses.push((await fetch(url)).status)
      await new Promise((resolve) => setTimeout(resolve, 1000 / REQUESTS_PER_SECOND))
    }
    const allowed = statuses.filter((s) => s === 200).length
    console.log(
      `  second ${second}: ${String(allowed).padStart(2)} allowed, ${String(statuses.length - allowed).padStart(2)} limited (429)`,
    )
  }
  const limited = await fetch(url)
  console.log(`\nA ${limited.status} response carries:`)
  for (const name of ['ratelimit-policy', 'ratelimit', 'retry-after', 'content-type']) {
    console.log(`  ${name}: ${limited.headers.get(name)}`)
  }
  console.log(`  body: ${await limited.text()}`)
}

async function loginAttempts(url: string): Promise<void> {
  const statuses: number[] = []
  let lastBody = ''
  for (let i = 0; i < 7; i++) {
    const response = await fetch(`${url}/login`, { method: 'POST' })
    statuses.push(response.status)
    lastBody = await response.text()
  }
  console.log(`\nPOST /login 7 times (route policy "login": 5 attempts, one more every 12 s): ${statuses.join(' ')}`)
  console.log(`  last body: ${lastBody}`)
  console.log('  (policies stack all-or-nothing: only the admitted ones also took a token of the global policy)')
}

async function main(config: ExampleConfig): Promise<void> {
  const { url, close } = await startFastify(config)
  logListening('fastify', url, config)
  await loginAttempts(url)
  await burst(url)
  if (process.argv.includes('--once')) {
    await close()
    await config.close()
    return
  }
  console.log('\nStill serving. See the limit yourself, then press Ctrl-C:')
  console.log(`  for i in $(seq 15); do curl -s -o /dev/null -w '%{http_code} ' ${url}/; done; echo`)
}

await main(await readConfig())
