// What follows a fire: the answer posted to a webhook, signed per Standard Webhooks and only to
// addresses the SSRF guard admits; the failure streak — an alert (audit entry, signed webhook) at
// the 2nd failure in a row, the schedule turned off at the 10th, visible in GET.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { guardedFetchFor, postSigned } from '../../src/automation/schedules/delivery'
import { verifyStandardWebhook } from '../../src/security/standard-webhooks'
import { admin, eventually } from '../helpers'
import { as, key, tenant } from '../security/helpers'
import { armAndTick, createSchedule, inTimer, receiver, runsOf, T0 } from './schedule-setup'

const TENANT = 'sched-out'
const MIN = 60_000
const ALERT_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

const every = (id: string, extra: Record<string, unknown>) => ({
	id,
	schedule: { kind: 'every', everyMs: MIN, anchorAt: new Date(T0).toISOString() },
	target: { agentId: 'main', session: 'isolated', message: `hello from ${id}` },
	...extra,
})

const auditActions = async (id: string): Promise<string[]> => {
	const { results } = await env.DB.prepare(
		"SELECT action FROM audit_log WHERE tenant_id = ? AND target = ? AND actor = 'system' ORDER BY seq",
	)
		.bind(TENANT, `schedule:${id}`)
		.all<{ action: string }>()
	return results.map((r) => r.action)
}

beforeAll(async () => {
	await tenant(TENANT)
	const res = await admin('/v1/secrets/ALERT_SECRET', {
		method: 'PUT',
		headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': TENANT },
		body: JSON.stringify({ value: ALERT_SECRET }),
	})
	expect([200, 201]).toContain(res.status)
})

describe('webhook delivery', () => {
	it('posts the answer signed with the secret the create returned', async () => {
		const created = await createSchedule(
			TENANT,
			every('signed', { delivery: { type: 'webhook', url: 'https://hooks.example.com/in' } }),
		)
		const secret = created.signingSecret as string
		const hook = receiver(() => 204)
		const at = T0 + MIN + 500
		const runs = await armAndTick(TENANT, 'signed', T0 + 1_000, [at], hook.fetch)
		expect(runs.map((r) => [r.status, r.delivery])).toEqual([['ok', 'sent']])
		expect(hook.posted).toHaveLength(1)
		const [post] = hook.posted
		if (!post) throw new Error('nothing posted')
		expect(post.url).toBe('https://hooks.example.com/in')
		expect(await verifyStandardWebhook(secret, post.headers, post.body, at)).toBe(true)
		// Any other secret does not verify it.
		expect(await verifyStandardWebhook(ALERT_SECRET, post.headers, post.body, at)).toBe(false)
		const payload = JSON.parse(new TextDecoder().decode(post.body))
		expect(payload).toMatchObject({
			type: 'schedule.run',
			tenantId: TENANT,
			scheduleId: 'signed',
			run: { id: runs[0]?.id, dueAt: T0 + MIN, status: 'succeeded', laneRunId: runs[0]?.laneRunId },
		})
		expect(payload.run.output).toContain('hello from signed')
	})

	it('never posts to a private address, even one stored past the API', async () => {
		await createSchedule(
			TENANT,
			every('private', { delivery: { type: 'webhook', url: 'https://hooks.example.com/in' } }),
		)
		const row = await env.DB.prepare(
			'SELECT definition FROM schedules WHERE tenant_id = ? AND id = ?',
		)
			.bind(TENANT, 'private')
			.first<{ definition: string }>()
		const definition = JSON.parse(row?.definition as string)
		definition.delivery.url = 'https://10.1.2.3/in'
		await env.DB.prepare('UPDATE schedules SET definition = ? WHERE tenant_id = ? AND id = ?')
			.bind(JSON.stringify(definition), TENANT, 'private')
			.run()
		const hook = receiver(() => 204)
		const runs = await armAndTick(TENANT, 'private', T0 + 1_000, [T0 + MIN + 500], hook.fetch)
		expect(hook.posted).toEqual([])
		expect(runs.map((r) => [r.status, r.delivery])).toEqual([['failed', 'failed']])
		expect(runs[0]?.deliveryError).toMatch(/refused/)
	})

	it('the guarded fetch refuses private and metadata addresses before any request', async () => {
		const hook = receiver(() => 200)
		const guarded = guardedFetchFor({}, hook.fetch)
		for (const url of [
			'https://192.168.1.1/x',
			'https://169.254.169.254/',
			'http://example.com/',
		]) {
			const outcome = await postSigned(guarded, url, ALERT_SECRET, 'id', {}, Date.now())
			expect(outcome.ok, url).toBe(false)
		}
		expect(hook.posted).toEqual([])
	})
})

describe('failure streak', () => {
	it('alerts after 2 failures in a row and turns the schedule off after 10', async () => {
		await createSchedule(
			TENANT,
			every('failing', {
				delivery: { type: 'webhook', url: 'https://hooks.example.com/down' },
				alertWebhook: { url: 'https://alerts.example.com/a', secret: 'ALERT_SECRET' },
			}),
		)
		// A 400 is not retried: each run's delivery fails at once.
		const hook = receiver((url) => (url.includes('/down') ? 400 : 200))
		const alerts = () => hook.posted.filter((p) => p.url.startsWith('https://alerts.'))
		const slot = (i: number) => T0 + i * MIN + 500
		await armAndTick(TENANT, 'failing', T0 + 1_000, [slot(1)], hook.fetch)
		expect(alerts()).toHaveLength(0)
		expect(await auditActions('failing')).toEqual([])

		await armAndTick(TENANT, 'failing', slot(1) + 1, [slot(2)], hook.fetch)
		expect(alerts()).toHaveLength(1)
		const [alert] = alerts()
		if (!alert) throw new Error('no alert')
		expect(await verifyStandardWebhook(ALERT_SECRET, alert.headers, alert.body, slot(2))).toBe(true)
		expect(JSON.parse(new TextDecoder().decode(alert.body))).toMatchObject({
			type: 'schedule.failing',
			scheduleId: 'failing',
			consecutiveFailures: 2,
		})
		expect(
			await eventually(async () => {
				const actions = await auditActions('failing')
				return actions.length > 0 ? actions : undefined
			}),
		).toEqual(['schedule.failing'])

		const clock = { now: slot(2) }
		for (let i = 3; i <= 12; i++) {
			clock.now = slot(i)
			await inTimer(TENANT, 'failing', clock, (logic) => logic.tick(), hook.fetch)
		}
		const runs = await runsOf(TENANT, 'failing')
		// Ten runs, then nothing: the schedule is off and its timer holds no slot.
		expect(runs.map((r) => r.status)).toEqual(Array(10).fill('failed'))
		expect(runs.every((r) => r.delivery === 'failed')).toBe(true)
		expect(alerts()).toHaveLength(1)
		expect(
			await inTimer(TENANT, 'failing', clock, (_l, ledger) => ledger.armed()?.dueAt),
		).toBeNull()
		const view = (await (
			await admin('/v1/schedules/failing', { headers: { 'x-edgeclaw-tenant': TENANT } })
		).json()) as Record<string, unknown>
		expect(view).toMatchObject({
			enabled: false,
			consecutiveFailures: 10,
			lastStatus: 'failed',
			nextDueAt: null,
		})
		expect(view.disabledReason).toMatch(
			/turned off after 10 failed runs in a row; the last: .*HTTP 400/,
		)
		expect(await auditActions('failing')).toEqual(['schedule.failing', 'schedule.disabled'])

		// Turned on again, it starts a new streak.
		const on = await admin('/v1/schedules/failing', {
			method: 'PATCH',
			headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': TENANT },
			body: JSON.stringify({ enabled: true }),
		})
		expect(await on.json()).toMatchObject({
			enabled: true,
			consecutiveFailures: 0,
			disabledReason: null,
		})
	})

	it('a success ends the streak', async () => {
		await createSchedule(
			TENANT,
			every('flaky', { delivery: { type: 'webhook', url: 'https://hooks.example.com/flaky' } }),
		)
		let up = false
		const hook = receiver(() => (up ? 200 : 503))
		await armAndTick(TENANT, 'flaky', T0 + 1_000, [T0 + MIN + 500], hook.fetch)
		up = true
		await armAndTick(TENANT, 'flaky', T0 + MIN + 600, [T0 + 2 * MIN + 500], hook.fetch)
		const row = await env.DB.prepare(
			'SELECT consecutive_failures AS n, last_status AS s FROM schedules WHERE tenant_id = ? AND id = ?',
		)
			.bind(TENANT, 'flaky')
			.first<{ n: number; s: string }>()
		expect(row).toEqual({ n: 0, s: 'ok' })
	})
})

describe('budgets', () => {
	it("a fire past the tenant's daily token budget is a failed run, with no turn", async () => {
		await tenant('sched-budget')
		const res = await admin('/v1/tenants/sched-budget', {
			method: 'PATCH',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ settings: { dailyTokenBudget: 0 } }),
		})
		expect(res.status).toBe(200)
		await createSchedule('sched-budget', every('broke', {}))
		const runs = await armAndTick('sched-budget', 'broke', T0 + 1_000, [T0 + MIN + 500])
		expect(runs.map((r) => [r.status, r.laneRunId])).toEqual([['failed', null]])
		expect(runs[0]?.error).toMatch(/daily token budget/)
	})
})

describe('the credential a schedule acts for', () => {
	it('a fire after the writing key was revoked is a failed run, with no turn', async () => {
		await tenant('sched-revoked')
		const operator = await key('sched-revoked', 'operator')
		const created = await as(operator.secret, '/v1/schedules', {
			method: 'POST',
			json: every('orphan', {}),
		})
		expect(created.status).toBe(201)
		// While the key lives, its slot fires a turn.
		const first = await armAndTick('sched-revoked', 'orphan', T0 + 1_000, [T0 + MIN + 500])
		expect(first.map((r) => r.status)).not.toContain('failed')
		expect(first[0]?.laneRunId).toBeTruthy()
		const revoked = await admin(`/v1/keys/${operator.id}`, {
			method: 'DELETE',
			headers: { 'x-edgeclaw-tenant': 'sched-revoked' },
		})
		expect(revoked.status).toBeLessThan(300)
		const clock = { now: T0 + 2 * MIN + 500 }
		await inTimer('sched-revoked', 'orphan', clock, (logic) => logic.tick())
		const runs = await runsOf('sched-revoked', 'orphan')
		const last = runs.at(-1)
		expect(last?.status).toBe('failed')
		expect(last?.laneRunId).toBeNull()
		expect(last?.error).toMatch(new RegExp(`key:${operator.id} it acts for was revoked`))
	})
})
