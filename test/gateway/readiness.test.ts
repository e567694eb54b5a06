// /ready names the failing dependency with a 503 problem, and never hangs on a stuck one.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { checkReadiness } from '../../src/gateway/readiness'
import { captureLogs } from '../fakes/logs'
import { problem } from '../helpers'

const brokenD1 = {
	prepare: () => {
		throw new Error('D1_ERROR: no such table: tenants')
	},
} as unknown as D1Database

const hangingD1 = {
	prepare: () => ({ all: () => new Promise(() => {}) }),
} as unknown as D1Database

const brokenLanes = {
	getByName: () => ({
		ping: async () => {
			throw new Error('Durable Object reset because its code was updated.')
		},
	}),
} as unknown as Env['SESSION_LANE']

/** Answers at once: a real lane's round trip could outlast a short timeout on a loaded machine. */
const healthyLanes = {
	getByName: () => ({ ping: async () => ({ sqlite: 1 }) }),
} as unknown as Env['SESSION_LANE']

async function ready(overrides: Partial<Env>) {
	const logs = captureLogs()
	const res = await createGateway({ sink: logs.sink }).request(
		'/ready',
		{},
		{ ...env, ...overrides },
	)
	return { res, logs }
}

describe('readiness', () => {
	it('503s with d1 named when D1 fails, keeping the error text out of the response', async () => {
		const { res, logs } = await ready({ DB: brokenD1 })
		expect(res.status).toBe(503)
		expect(res.headers.get('retry-after')).toBe('5')
		const body = await problem(res)
		expect(body.code).toBe('not_ready')
		expect(body.failing).toEqual(['d1'])
		expect(body.detail).toContain('d1')
		expect(JSON.stringify(body)).not.toContain('no such table')
		expect((body.checks as Record<string, { ok: boolean }>).lane?.ok).toBe(true)
		// The cause goes to the log once, with the request id (access lines are below the test level).
		const [logged, ...rest] = logs.entries()
		expect(rest).toEqual([])
		expect(logged).toMatchObject({ level: 'error', msg: 'problem', code: 'not_ready' })
		expect(logged?.requestId).toBe(res.headers.get('x-request-id'))
		expect(JSON.stringify(logged?.cause)).toContain('no such table')
	})

	it('503s with lane named when the Durable Object round trip fails', async () => {
		const { res } = await ready({ SESSION_LANE: brokenLanes })
		expect(res.status).toBe(503)
		expect((await problem(res)).failing).toEqual(['lane'])
	})

	it('names both when both fail', async () => {
		const { res } = await ready({ DB: brokenD1, SESSION_LANE: brokenLanes })
		expect((await problem(res)).failing).toEqual(['d1', 'lane'])
	})

	it('times out a hanging dependency instead of hanging itself', async () => {
		const result = await checkReadiness(
			{ DB: hangingD1, SESSION_LANE: healthyLanes },
			{ timeoutMs: 50 },
		)
		expect(result.ready).toBe(false)
		expect(result.checks.d1).toMatchObject({ ok: false, reason: 'timed out after 50 ms' })
		expect(result.checks.lane.ok).toBe(true)
	})

	it('fails the d1 check when the schema is missing', async () => {
		const result = await checkReadiness({ DB: brokenD1, SESSION_LANE: env.SESSION_LANE })
		expect(result.checks.d1).toMatchObject({ ok: false, reason: 'check failed' })
		expect(String(result.errors.d1)).toContain('no such table')
	})
})
