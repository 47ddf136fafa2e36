// The conformance suite against @spillway/express, on MemoryStore and on a real redis-server.
import { expressApp } from './apps/express.js'
import { describeConformance } from './run.js'

describeConformance(expressApp)
