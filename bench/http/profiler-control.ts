// Profiling a server process while it is under load: `start` and `stop <file>` lines on its stdin, both sides.
import { readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createInterface } from 'node:readline'
import type { BenchChild } from '../child.js'
import { type CpuProfile, limiterShare, type ProfileShare } from './profile-share.js'

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

/**
 * The parent's side: runs `load` with `server`'s profiler on (the server started with `--profile`), writes the
 * profile to `file` and resolves the load's result and the limiter's share of the profile.
 *
 * @example
 * ```ts
 * const { result, share } = await profileLoad(server, '/tmp/a.cpuprofile', () => runLoad({ port, seconds: 2 }))
 * ```
 */
export async function profileLoad<R>(
  server: BenchChild,
  file: string,
  load: () => Promise<R>,
): Promise<{ result: R; share: ProfileShare }> {
  server.send('start')
  await server.nextLine('started')
  const result = await load()
  server.send(`stop ${file}`)
  await server.nextLine('stopped')
  return { result, share: limiterShare(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile) }
}
