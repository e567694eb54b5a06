// Lane health in the D1 sessions index: a lane writes its queue depth as its queue changes; the
// platform admin lists stuck lanes and deep queues across tenants (GET /v1/admin/lanes), a tenant
// sees its own sessions' queue depth and stuck state in its session list.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { admin, postJson, problem, send } from '../helpers'
import { as, key, tenant } from '../security/helpers'

interface Lane {
	tenantId: string
	agent: string
	sessionKey: string
	queuedRuns: number
	stuckSince: number | null
}

interface Report {
	lanes: Lane[]
	counts: { stuckLanes: number; queuedLanes: number; queuedRuns: number }
	nextCursor: string | null
}

async function indexed(tenantId: string, sessionKey: string, queued: number, stuck: number | null) {
	await env.DB.prepare(
		`INSERT INTO sessions (tenant_id, agent_id, session_key, queued_runs, stuck_since)
		 VALUES (?, 'main', ?, ?, ?)`,
	)
		.bind(tenantId, sessionKey, queued, stuck)
		.run()
}

async function report(query = ''): Promise<Report> {
	const res = await admin(`/v1/admin/lanes${query}`)
	expect(res.status).toBe(200)
	return (await res.json()) as Report
}

const names = (r: Report) => r.lanes.map((l) => `${l.tenantId}/${l.sessionKey}`)

describe('queue depth in the sessions index', () => {
	it('a lane writes how many runs wait behind the running one, and 0 once they ran', async () => {
		const row = () =>
			env.DB.prepare(
				"SELECT queued_runs AS queued, stuck_since AS stuck FROM sessions WHERE tenant_id = 'default' AND session_key = 'depth-1'",
			).first<{ queued: number; stuck: number | null }>()
		const blocker = await send('depth-1', { content: '/slow 60000 hold', mode: 'followup' })
		await send('depth-1', { content: 'one', mode: 'followup' })
		await send('depth-1', { content: 'two', mode: 'followup' })
		await expect.poll(row).toEqual({ queued: 2, stuck: null })
		const cancelled = await postJson(`/v1/sessions/depth-1/runs/${blocker.run.runId}/cancel`, {})
		expect(cancelled.status).toBe(200)
		await expect.poll(row).toEqual({ queued: 0, stuck: null })
	})
})

describe('GET /v1/admin/lanes', () => {
	const t0 = 1_790_000_000_000
	beforeAll(async () => {
		await tenant('lanes-a')
		await tenant('lanes-b')
		await indexed('lanes-a', 'stuck-new', 0, t0 + 60_000)
		await indexed('lanes-b', 'stuck-old', 3, t0)
		await indexed('lanes-a', 'deep', 9, null)
		await indexed('lanes-b', 'shallow', 1, null)
		await indexed('lanes-a', 'idle', 0, null)
	})

	it('lists stuck lanes first (longest stuck first), then the deepest queues, with totals', async () => {
		const r = await report('?tenant=lanes-a')
		expect(names(r)).toEqual(['lanes-a/stuck-new', 'lanes-a/deep'])
		expect(r.counts).toEqual({ stuckLanes: 1, queuedLanes: 1, queuedRuns: 9 })
		const all = await report()
		const ours = names(all).filter((n) => n.startsWith('lanes-'))
		expect(ours).toEqual([
			'lanes-b/stuck-old',
			'lanes-a/stuck-new',
			'lanes-a/deep',
			'lanes-b/shallow',
		])
		expect(all.lanes[0]).toMatchObject({ agent: 'main', queuedRuns: 3, stuckSince: t0 })
	})

	it('filters: stuck only, a minimum queue, a tenant', async () => {
		expect(names(await report('?stuck=true&tenant=lanes-b'))).toEqual(['lanes-b/stuck-old'])
		const deep = names(await report('?minQueued=3')).filter((n) => n.startsWith('lanes-'))
		expect(deep).toEqual(['lanes-b/stuck-old', 'lanes-a/deep'])
		expect(names(await report('?stuck=true&minQueued=5'))).toEqual([])
	})

	it('pages with a cursor, without gaps or repeats', async () => {
		const seen: string[] = []
		let cursor: string | null = null
		do {
			const page: Report = await report(
				`?tenant=lanes-b&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
			)
			seen.push(...names(page))
			cursor = page.nextCursor
		} while (cursor)
		expect(seen).toEqual(['lanes-b/stuck-old', 'lanes-b/shallow'])
		const bad = await admin('/v1/admin/lanes?cursor=bm90LWEtY3Vyc29y')
		expect(bad.status).toBe(400)
		expect((await problem(bad)).code).toBe('validation_failed')
	})

	it('is for the platform admin only: a tenant admin key gets 403', async () => {
		const tenantAdmin = await key('lanes-a', 'admin')
		const res = await as(tenantAdmin.secret, '/v1/admin/lanes')
		expect(res.status).toBe(403)
		expect((await problem(res)).code).toBe('forbidden')
	})

	it("shows a tenant its own sessions' queue depth and stuck state in the session list", async () => {
		const viewer = await key('lanes-a', 'viewer')
		const res = await as(viewer.secret, '/v1/sessions?limit=200')
		expect(res.status).toBe(200)
		const { sessions } = (await res.json()) as { sessions: Lane[] }
		expect(sessions).toEqual(
			expect.arrayContaining([
				expect.objectContaining({
					sessionKey: 'stuck-new',
					queuedRuns: 0,
					stuckSince: t0 + 60_000,
				}),
				expect.objectContaining({ sessionKey: 'deep', queuedRuns: 9, stuckSince: null }),
			]),
		)
		expect(sessions.map((s) => s.sessionKey)).not.toContain('stuck-old')
	})
})

describe('POST /v1/admin/lanes/restore', () => {
	const restore = (body: unknown, headers: HeadersInit = {}) =>
		postJson('/v1/admin/lanes/restore', body, headers)

	it('answers 409 restore_unsupported where storage keeps no history, and the lane is unharmed', async () => {
		const { run } = await send('restore-1', { content: 'keep me', wait: true })
		expect(run.status).toBe('succeeded')
		const res = await restore({
			tenant: 'default',
			agent: 'main',
			sessionKey: 'restore-1',
			at: new Date(Date.now() - 60_000).toISOString(),
		})
		expect(res.status).toBe(409)
		const body = await problem(res)
		expect(body).toMatchObject({ code: 'restore_unsupported', status: 409 })
		expect(body.detail).toContain('point-in-time recovery')
		expect(body.requestId).toBe(res.headers.get('x-request-id'))
		const after = await send('restore-1', { content: 'still here', wait: true })
		expect(after.run).toMatchObject({ status: 'succeeded', output: 'echo: still here' })
	})

	it.each([
		['neither at nor bookmark', {}],
		['both at and bookmark', { at: 1_790_000_000_000, bookmark: 'x' }],
		['a time that is not ISO 8601', { at: 'yesterday' }],
		['an unknown field', { at: 1_790_000_000_000, force: true }],
	])('refuses %s (400)', async (_name, extra) => {
		const res = await restore({
			tenant: 'default',
			agent: 'main',
			sessionKey: 'restore-2',
			...extra,
		})
		expect(res.status).toBe(400)
		expect(await problem(res)).toMatchObject({ code: 'validation_failed' })
	})

	it('refuses a moment in the future (400) and an unknown agent (404)', async () => {
		const future = await restore({
			tenant: 'default',
			agent: 'main',
			sessionKey: 'restore-3',
			at: Date.now() + 3_600_000,
		})
		expect(future.status).toBe(400)
		expect((await problem(future)).detail).toContain('in the future')
		const unknown = await restore({
			tenant: 'default',
			agent: 'no-such-agent',
			sessionKey: 'restore-3',
			at: Date.now() - 1_000,
		})
		expect(unknown.status).toBe(404)
	})

	it('belongs to the platform admin: a tenant admin is refused (403)', async () => {
		await tenant('restore-t')
		const tenantAdmin = await key('restore-t', 'admin')
		const res = await as(tenantAdmin.secret, '/v1/admin/lanes/restore', {
			method: 'POST',
			json: { tenant: 'restore-t', agent: 'main', sessionKey: 's', at: Date.now() - 1_000 },
		})
		expect(res.status).toBe(403)
	})
})
