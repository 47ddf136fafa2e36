// Types for koa-ratelimit, which ships none: only the options the bench passes.
declare module 'koa-ratelimit' {
  import type { Middleware } from 'koa'

  interface RatelimitOptions {
    driver: 'redis' | 'memory'
    db: unknown
    duration: number
    max: number
    id?: (ctx: import('koa').Context) => string | false
  }
  export default function ratelimit(options: RatelimitOptions): Middleware
}
