// The conformance suite against @spillway/express on the oldest Express it supports (4.18).

import express from 'express-4-18'
import { expressAppOn } from './apps/express.js'
import { describeConformance } from './run.js'

describeConformance(expressAppOn(express, '4.18'))
