// Conformance scenarios — a request's own buckets from its handler (reset, refund) and counting by response outcome.
import { expect } from 'vitest'
import { type EchoBody, hit, hitAndAbort, sleep, statuses, withApp } from '../app-factory.js'
import { type Scenario, slow } from './kit.js'

/** Long enough for a loaded machine to decide the request before the client goes away. */
const ABORT_AFTER_MS = 150
/** The handler answers after this: well after the abort. */
const HANDLER_DELAY_MS = 700

export const outcomesScenarios: readonly Scenario[] = [
  {
    id: 'request-buckets-reset',
    name: 'MUST let a handler reset every bucket that counted its request (a successful login)',
    run: (ctx) =>
      withApp(
        ctx,
        { global: slow(ctx, 5, { name: 'global' }), routes: { '/login': slow(ctx, 2, { name: 'login' }) } },
        async (app) => {
          expect((await hit(app, '/login')).json<EchoBody>()).toMatchObject({ policy: 'login', remaining: 1 })
          expect((await hit(app, '/login?reset=1')).status).toBe(200)
          // Both buckets are full again: login admits two more, the app-wide one counted 2 since (the
          // rejected third took nothing from it: stacked policies are all-or-nothing).
          expect(await statuses(app, 3, '/login')).toEqual([200, 200, 429])
          expect((await hit(app, '/')).json<EchoBody>()).toMatchObject({ policy: 'global', remaining: 2 })
        },
      ),
  },
  {
    id: 'request-buckets-refund',
    name: 'MUST let a handler give back what its request took, once',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 2) }, async (app) => {
        expect(await statuses(app, 3, '/?refund=1')).toEqual([200, 200, 200])
        expect(await statuses(app, 3)).toEqual([200, 200, 429])
      }),
  },
  {
    id: 'skip-successful-requests',
    name: 'MUST count only failed responses with skipSuccessfulRequests',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 2, { skipSuccessfulRequests: true }) }, async (app) => {
        expect(await statuses(app, 4)).toEqual([200, 200, 200, 200])
        expect(await statuses(app, 3, '/?status=500')).toEqual([500, 500, 429])
      }),
  },
  {
    id: 'skip-failed-requests',
    name: 'MUST count only successful responses with skipFailedRequests, refunding each failure exactly once',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 2, { skipFailedRequests: true }) }, async (app) => {
        expect((await hit(app)).status).toBe(200)
        // A refund applied twice (finish, then close) would leave two tokens here, not one.
        expect(await statuses(app, 4, '/?status=404')).toEqual([404, 404, 404, 404])
        expect(await statuses(app, 2)).toEqual([200, 429])
      }),
  },
  {
    id: 'request-was-successful',
    name: 'MUST decide success with requestWasSuccessful(request, response) when given',
    run: (ctx) => {
      const requestWasSuccessful = (_request: unknown, response: unknown) => ctx.app.statusOf(response) < 500
      return withApp(ctx, { global: slow(ctx, 2, { skipFailedRequests: true, requestWasSuccessful }) }, async (app) => {
        expect(await statuses(app, 3, '/?status=503')).toEqual([503, 503, 503])
        expect(await statuses(app, 3, '/?status=404')).toEqual([404, 404, 429])
      })
    },
  },
  {
    id: 'aborted-request-is-a-failure',
    name: 'MUST refund a request whose client went away before the answer, once, with skipFailedRequests',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 2, { skipFailedRequests: true }) }, async (app) => {
        expect((await hit(app)).status).toBe(200)
        await hitAndAbort(app, `/?delayMs=${HANDLER_DELAY_MS}`, ABORT_AFTER_MS)
        await sleep(HANDLER_DELAY_MS)
        expect(await statuses(app, 2)).toEqual([200, 429])
      }),
  },
  {
    id: 'aborted-request-counts-with-skip-successful',
    name: 'MUST keep counting a request whose client went away, with skipSuccessfulRequests',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 2, { skipSuccessfulRequests: true }) }, async (app) => {
        await hitAndAbort(app, `/?delayMs=${HANDLER_DELAY_MS}`, ABORT_AFTER_MS)
        await sleep(HANDLER_DELAY_MS)
        expect(await statuses(app, 2, '/?status=500')).toEqual([500, 429])
      }),
  },
]
