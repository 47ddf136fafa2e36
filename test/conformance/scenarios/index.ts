// Every adapter conformance scenario: one list, the same expected results for Express, Fastify and Koa.
import { blocksScenarios } from './blocks.js'
import { dynamicLimitsScenarios } from './dynamic-limits.js'
import { failuresScenarios } from './failures.js'
import { headersScenarios } from './headers.js'
import { keysScenarios } from './keys.js'
import type { Scenario } from './kit.js'
import { limitsScenarios } from './limits.js'
import { outcomesScenarios } from './outcomes.js'
import { policiesScenarios } from './policies.js'
import { proxiesScenarios } from './proxies.js'
import { responsesScenarios } from './responses.js'
import { waitsScenarios } from './waits.js'

export type { Scenario }

export const scenarios: readonly Scenario[] = [
  ...limitsScenarios,
  ...policiesScenarios,
  ...keysScenarios,
  ...headersScenarios,
  ...responsesScenarios,
  ...failuresScenarios,
  ...outcomesScenarios,
  ...proxiesScenarios,
  ...blocksScenarios,
  ...dynamicLimitsScenarios,
  ...waitsScenarios,
]
