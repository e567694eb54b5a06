// GET /v1/approvals: pending approvals across the tenant's sessions — the sessions index finds
// them, each lane answers for its own. Decided ones leave the list; another tenant's never show;
// the agent filter narrows; bad queries are 400s that name the field, whatever is sent.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAgent, eventually, problem } from '../helpers'
import { as, key, tenant } from '../security/helpers'

interface Pending {
	id: string
	status: string
	tool: string
	agentId: string
	sessionKey: string
	createdAt: number
}

/** An agent whose every time_now call waits for a human (long enough to outlast the tests). */
const guardedAgent = (tenantId: string, id: string) =>
	createAgent(
		env.DB,
		id,
		{
			tools: {
				profile: 'minimal',
				allow: ['time_now'],
				elevated: ['time_now'],
				approvalTimeoutMs: 600_000,
			},
		},
		tenantId,
	)

let operator: string
let viewer: string
let stranger: string

async function pending(secret: string, query = ''): Promise<Pending[]> {
	const res = await as(secret, `/v1/approvals${query}`)
	expect(res.status, await res.clone().text()).toBe(200)
	return ((await res.json()) as { approvals: Pending[] }).approvals
}

const sessionsOf = (approvals: Pending[]) => approvals.map((a) => a.sessionKey).sort()

async function askForApproval(secret: string, sessionKey: string, agent: string): Promise<void> {
	const res = await as(secret, `/v1/sessions/${sessionKey}/messages`, {
		method: 'POST',
		json: { agent, content: '/tool time_now {}' },
	})
	expect(res.status).toBe(202)
}

beforeAll(async () => {
	await tenant('pa')
	await tenant('pa-other')
	await guardedAgent('pa', 'guarded')
	await guardedAgent('pa', 'sentry')
	await guardedAgent('pa-other', 'guarded')
	operator = (await key('pa', 'operator')).secret
	viewer = (await key('pa', 'viewer')).secret
	stranger = (await key('pa-other', 'operator')).secret
	await askForApproval(operator, 'pa-one', 'guarded')
	await askForApproval(operator, 'pa-two', 'sentry')
	await askForApproval(stranger, 'pa-foreign', 'guarded')
})

describe('GET /v1/approvals', () => {
	it("lists the tenant's pending approvals across sessions, newest first, never another tenant's", async () => {
		await expect.poll(async () => sessionsOf(await pending(operator))).toEqual(['pa-one', 'pa-two'])
		const approvals = await pending(viewer)
		expect(approvals.map((a) => [a.agentId, a.sessionKey, a.status, a.tool]).sort()).toEqual([
			['guarded', 'pa-one', 'pending', 'time_now'],
			['sentry', 'pa-two', 'pending', 'time_now'],
		])
		const times = approvals.map((a) => a.createdAt)
		expect(times).toEqual([...times].sort((a, b) => b - a))
		await expect.poll(async () => sessionsOf(await pending(stranger))).toEqual(['pa-foreign'])
		expect(JSON.stringify(await pending(operator))).not.toContain('pa-foreign')
	})

	it('filters by agent and caps the page', async () => {
		await expect.poll(async () => sessionsOf(await pending(operator))).toEqual(['pa-one', 'pa-two'])
		expect(sessionsOf(await pending(operator, '?agent=sentry'))).toEqual(['pa-two'])
		expect(await pending(operator, '?agent=nobody')).toEqual([])
		expect(await pending(operator, '?limit=1')).toHaveLength(1)
	})

	it('drops an approval once it is decided', async () => {
		await askForApproval(operator, 'pa-three', 'guarded')
		const approval = await eventually(async () =>
			(await pending(operator)).find((a) => a.sessionKey === 'pa-three'),
		)
		const decided = await as(
			operator,
			`/v1/sessions/pa-three/approvals/${approval.id}?agent=guarded`,
			{ method: 'POST', json: { decision: 'allow-once' } },
		)
		expect(decided.status).toBe(200)
		await expect.poll(async () => sessionsOf(await pending(operator))).toEqual(['pa-one', 'pa-two'])
	})

	it("leaves out a session a tenant policy hides from the caller, as that session's own route does", async () => {
		const admin = (await key('pa', 'admin')).secret
		const created = await as(admin, '/v1/policies', {
			method: 'POST',
			json: {
				id: 'pa-viewers-not-two',
				effect: 'deny',
				resources: ['tenant:pa/session:pa-two'],
				actions: ['sessions:read'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'viewer' }],
			},
		})
		expect(created.status).toBe(201)
		await expect.poll(async () => sessionsOf(await pending(viewer))).toEqual(['pa-one'])
		expect((await as(viewer, '/v1/sessions/pa-two/approvals?agent=sentry')).status).toBe(403)
		expect(sessionsOf(await pending(operator))).toEqual(['pa-one', 'pa-two'])
		const removed = await as(admin, '/v1/policies/pa-viewers-not-two', { method: 'DELETE' })
		expect(removed.status).toBeLessThan(300)
	})

	it('answers a bad query with a 400 naming the field', async () => {
		for (const [query, field] of [
			['?limit=0', 'limit'],
			['?limit=101', 'limit'],
			['?limit=ten', 'limit'],
			['?agent=Not_A_Slug!', 'agent'],
		] as const) {
			const res = await as(operator, `/v1/approvals${query}`)
			expect(res.status, query).toBe(400)
			const body = await problem(res)
			expect(body.code).toBe('validation_failed')
			expect(body.detail, query).toContain(`query field "${field}"`)
		}
	})

	it('never answers 5xx, whatever agent and limit say', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.option(fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.string({ maxLength: 20 }))),
				fc.option(
					fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.string({ maxLength: 8 })),
				),
				async (agent, limit) => {
					const query = new URLSearchParams()
					if (agent !== null) query.set('agent', agent)
					if (limit !== null) query.set('limit', limit)
					const res = await as(operator, `/v1/approvals?${query}`)
					expect([200, 400]).toContain(res.status)
					if (res.status === 400) {
						const body = await problem(res)
						expect(body.detail).toMatch(/query field "(agent|limit)"/)
					} else {
						const { approvals } = (await res.json()) as { approvals: Pending[] }
						expect(approvals.length).toBeLessThanOrEqual(limit === null ? 50 : Number(limit))
						for (const a of approvals) expect(a.status).toBe('pending')
					}
				},
			),
			{ numRuns: 60 },
		)
	})
})
