// The `failing_schedules` alert rule end to end: a schedule that fails twice in a row makes the
// minute's evaluation open one episode (GET /v1/alerts, audit, one signed POST to the tenant's
// alert webhook) beside the schedule's own alert; a success resolves it. And the facts read: which
// schedules count, one grouped read over a partial index, tenants judged without any traffic.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { failingSchedules, tenantsToJudge } from '../../src/db/alerts'
import { database } from '../../src/db/client'
import { FAILING_STREAK } from '../../src/observability/alerts'
import { loggerFromEnv } from '../../src/observability/logger'
import { runSchedule } from '../../src/observability/schedule'
import { encodeBase64 } from '../../src/security/bytes'
import { verifyStandardWebhook } from '../../src/security/standard-webhooks'
import { armAndTick, createSchedule, receiver, T0 } from '../automation/schedule-setup'
import { admin, eventually } from '../helpers'
import { tenant } from '../security/helpers'

const TENANT = 'alerts-sched'
const MIN = 60_000
const WHSEC = `whsec_${encodeBase64(new TextEncoder().encode('failing-schedules-key'.padEnd(32, '.')))}`
const logger = loggerFromEnv(env, { test: 'alert-failing-schedules' })

const asTenant = (path: string, init: RequestInit = {}) =>
	admin(path, {
		...init,
		headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': TENANT },
	})

interface AlertView {
	id: string
	rule: string
	status: string
	value: number
	threshold: number
	openedAt: number
	resolvedAt: number | null
}

async function alerts(): Promise<AlertView[]> {
	const res = await asTenant('/v1/alerts')
	expect(res.status).toBe(200)
	return ((await res.json()) as { alerts: AlertView[] }).alerts.filter(
		(a) => a.rule === 'failing_schedules',
	)
}

const auditActions = async (actor: string, target: string): Promise<string[]> => {
	const { results } = await env.DB.prepare(
		'SELECT action FROM audit_log WHERE tenant_id = ? AND actor = ? AND target = ? ORDER BY seq',
	)
		.bind(TENANT, actor, target)
		.all<{ action: string }>()
	return results.map((r) => r.action)
}

beforeAll(async () => {
	await tenant(TENANT)
	const secret = await asTenant('/v1/secrets/ALERT_SIGNING', {
		method: 'PUT',
		body: JSON.stringify({ value: WHSEC }),
	})
	expect(secret.status).toBe(201)
	const webhook = { url: 'https://ops.example.com/edgeclaw-alerts', secret: 'ALERT_SIGNING' }
	const settings = await asTenant(`/v1/tenants/${TENANT}`, {
		method: 'PATCH',
		body: JSON.stringify({ settings: { alerts: { webhook } } }),
	})
	expect(settings.status).toBe(200)
})

describe('failing_schedules', () => {
	it('opens one episode at the 2nd failure in a row and resolves it after a success', async () => {
		await createSchedule(TENANT, {
			id: 'nightly',
			schedule: { kind: 'every', everyMs: MIN, anchorAt: new Date(T0).toISOString() },
			target: { agentId: 'main', session: 'isolated', message: 'report' },
			delivery: { type: 'webhook', url: 'https://hooks.example.com/report' },
		})
		let up = false
		// A 400 is final at once (a 5xx would be retried before the run counts as failed).
		const hook = receiver(() => (up ? 200 : 400))
		const ops = receiver(() => 204)
		const opsPosts = () => ops.posted.map((p) => JSON.parse(new TextDecoder().decode(p.body)))
		const slot = (i: number) => T0 + i * MIN + 500
		const evaluate = (i: number) => runSchedule(env, slot(i) + 10_000, logger, ops.fetch)

		// One failure: the schedule is not failing yet.
		await armAndTick(TENANT, 'nightly', T0 + 1_000, [slot(1)], hook.fetch)
		await evaluate(1)
		expect(await alerts()).toEqual([])

		// The second in a row: one episode, on the tenant's alerts and its webhook.
		await armAndTick(TENANT, 'nightly', slot(1) + 1, [slot(2)], hook.fetch)
		await evaluate(2)
		const [opened] = await alerts()
		expect(await alerts()).toEqual([
			expect.objectContaining({
				rule: 'failing_schedules',
				status: 'open',
				value: 1,
				threshold: 1,
				openedAt: slot(2) + 10_000,
				resolvedAt: null,
			}),
		])
		expect(ops.posted).toHaveLength(1)
		const [post] = ops.posted
		if (!post || !opened) throw new Error('nothing raised')
		expect(post.url).toBe('https://ops.example.com/edgeclaw-alerts')
		expect(await verifyStandardWebhook(WHSEC, post.headers, post.body, Date.now())).toBe(true)
		expect(opsPosts()).toEqual([
			expect.objectContaining({
				type: 'alert.raised',
				tenantId: TENANT,
				alert: expect.objectContaining({ id: opened.id, rule: 'failing_schedules', value: 1 }),
			}),
		])
		// The schedule's own alert is still there, beside the tenant's.
		expect(await auditActions('system:alerts', 'alert:failing_schedules')).toEqual(['alert.raised'])
		expect(
			await eventually(async () => {
				const actions = await auditActions('system', 'schedule:nightly')
				return actions.length > 0 ? actions : undefined
			}),
		).toEqual(['schedule.failing'])

		// Failing on, with no traffic at all: the same episode, nothing posted again.
		await armAndTick(TENANT, 'nightly', slot(2) + 1, [slot(3)], hook.fetch)
		await evaluate(3)
		await evaluate(4)
		expect((await alerts()).map((a) => [a.id, a.status])).toEqual([[opened.id, 'open']])
		expect(ops.posted).toHaveLength(1)

		// A success ends the streak: the episode resolves, once.
		up = true
		await armAndTick(TENANT, 'nightly', slot(3) + 1, [slot(5)], hook.fetch)
		await evaluate(5)
		await evaluate(6)
		expect(await alerts()).toEqual([
			expect.objectContaining({ id: opened.id, status: 'resolved', resolvedAt: slot(5) + 10_000 }),
		])
		expect(opsPosts().map((p) => [p.type, p.alert.id])).toEqual([
			['alert.raised', opened.id],
			['alert.resolved', opened.id],
		])
		expect(await auditActions('system:alerts', 'alert:failing_schedules')).toEqual([
			'alert.raised',
			'alert.resolved',
		])
	})
})

describe('the failing schedules read', () => {
	/** Schedule rows written directly, in the states the timer and the API leave them. */
	async function row(
		tenantId: string,
		id: string,
		state: { failures: number; enabled: boolean; reason?: string },
	) {
		await env.DB.prepare(
			`INSERT INTO schedules (tenant_id, id, agent_id, definition, enabled, anchor_at, subject, consecutive_failures, disabled_reason)
			 VALUES (?, ?, 'main', '{}', ?, 0, '{}', ?, ?)`,
		)
			.bind(tenantId, id, state.enabled ? 1 : 0, state.failures, state.reason ?? null)
			.run()
	}

	it('counts failing schedules on or turned off for failing, per tenant, and judges those tenants', async () => {
		await tenant('sched-quiet')
		await tenant('sched-fine')
		await row('sched-quiet', 'on-2', { failures: FAILING_STREAK, enabled: true })
		await row('sched-quiet', 'on-7', { failures: 7, enabled: true })
		await row('sched-quiet', 'on-1', { failures: 1, enabled: true })
		// Turned off by the scheduler after 10 failures: counts until turned on again or deleted.
		await row('sched-quiet', 'auto-off', { failures: 10, enabled: false, reason: 'turned off' })
		// Turned off by someone while failing: they know; it does not count.
		await row('sched-quiet', 'user-off', { failures: 4, enabled: false })
		await row('sched-fine', 'ok', { failures: 0, enabled: true })
		await row('sched-fine', 'once', { failures: 1, enabled: true })

		const db = database(env.DB)
		const counts = Object.fromEntries(
			(await failingSchedules(db)).map((r) => [r.tenantId, Number(r.n)]),
		)
		expect(counts['sched-quiet']).toBe(3)
		expect(counts['sched-fine']).toBeUndefined()

		// Neither tenant has any traffic; the one with failing schedules is judged all the same.
		const far = T0 + 365 * 86_400_000
		const judged = await tenantsToJudge(db, { recent: far, deliveries: far }, '2031-01-01')
		const quiet = judged.find((t) => t.tenantId === 'sched-quiet')
		expect(quiet?.facts).toMatchObject({ failingSchedules: 3, requests: 0, runs: 0 })
		expect(judged.map((t) => t.tenantId)).not.toContain('sched-fine')

		// Deleting the tenant's failing rows (or turning them on again) leaves nothing to count.
		await env.DB.prepare(
			"UPDATE schedules SET enabled = 1, disabled_reason = NULL, consecutive_failures = 0 WHERE tenant_id = 'sched-quiet' AND id = 'auto-off'",
		).run()
		await env.DB.prepare(
			"DELETE FROM schedules WHERE tenant_id = 'sched-quiet' AND id IN ('on-2', 'on-7')",
		).run()
		expect((await failingSchedules(db)).filter((r) => r.tenantId === 'sched-quiet')).toEqual([])
	})

	it('reads only the partial index of failing rows, never the whole table', async () => {
		const query = failingSchedules(database(env.DB)).toSQL()
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
			.bind(...query.params)
			.all<{ detail: string }>()
		const plan = results.map((r) => r.detail).join('\n')
		expect(plan).toMatch(/USING (COVERING )?INDEX schedules_failing_idx/)
		expect(plan).not.toMatch(/SCAN schedules(?! USING)/)
	})
})
