// Lets the parent profile a server process while it is under load: `start` and `stop <file>` lines on stdin.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createInterface } from 'node:readline'

/**
 * Reads stdin: `start` starts V8's CPU profiler (sampling every 100 µs) and prints `started`; `stop <file>`
 * writes the profile to `file` and prints `stopped`. For bench/http-profile.ts, which sends them around
 * the measured load so that start-up and warm-up are not in the profile.
 *
 * @example
 * ```ts
 * if (process.argv.includes('--profile')) await answerProfilerCommands()
 * ```
 */
export async function answerProfilerCommands(): Promise<void> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  createInterface({ input: process.stdin }).on('line', (line) => {
    void answer(session, line)
  })
}

async function answer(session: Session, line: string): Promise<void> {
  if (line === 'start') {
    await session.post('Profiler.start')
    console.log('started')
  } else if (line.startsWith('stop ')) {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(line.slice('stop '.length), JSON.stringify(profile))
    console.log('stopped')
  }
}
