// The conformance suite against @spillway/fastify, on MemoryStore and on a real redis-server.
import { fastifyApp } from './apps/fastify.js'
import { describeConformance } from './run.js'

describeConformance(fastifyApp)
