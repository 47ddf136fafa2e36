// The conformance suite against @spillway/koa on the oldest Koa it supports (2.14).
import Koa2 from 'koa-2-14'
import { koaAppOn } from './apps/koa.js'
import { describeConformance } from './run.js'

describeConformance(koaAppOn(Koa2, '2.14'))
