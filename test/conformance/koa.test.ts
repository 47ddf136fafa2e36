// The conformance suite against @spillway/koa, on MemoryStore and on a real redis-server.
import { koaApp } from './apps/koa.js'
import { describeConformance } from './run.js'

describeConformance(koaApp)
