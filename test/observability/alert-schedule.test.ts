// The Worker's scheduled handler end to end: rollups in D1 (as the metrics writer leaves them), a
// stuck lane in the sessions index, the day's usage → alert episodes raised once and resolved
// once, each with a log event, an audit row by system:alerts and a Standard-Webhooks-signed POST
// (checked by a receiver behind the fake platforms' fetch) retried on later ticks, then given up.
import { createScheduledController, env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { database } from '../../src/db/client'
import { addMetricRollups } from '../../src/db/metrics'
import { addUsage, utcDay } from '../../src/db/usage'
import worker from '../../src/index'
import {
	evaluateAlerts,
	NOTIFY_CLAIM_MS,
	NOTIFY_RETRY_MS,
} from '../../src/observability/alert-evaluation'
import type { AlertNotification } from '../../src/observability/alert-webhook'
import { Logger } from '../../src/observability/logger'
import type { MetricPoint } from '../../src/observability/metrics'
import { mergeRollup, minuteOf, type RollupRow, rollupOf } from '../../src/observability/rollups'
import { runSchedule } from '../../src/observability/schedule'
import { encodeBase64 } from '../../src/security/bytes'
import { verifyStandardWebhook } from '../../src/security/standard-webhooks'
import { captureLogs } from '../fakes/logs'
import { FakePlatforms } from '../fakes/platforms'
import { admin, problem } from '../helpers'
import { tenant } from '../security/helpers'

const platforms = FakePlatforms.install()
const db = database(env.DB)
const WHSEC = `whsec_${encodeBase64(new TextEncoder().encode('alert-signing-key'.padEnd(32, '.')))}`

async function tick(at: number): Promise<void> {
	const controller = createScheduledController({ scheduledTime: at, cron: '* * * * *' })
	await worker.scheduled(controller, env)
}

/** `n` points added up into their minute rows, as the writer's rollups would leave them. */
async function rollups(at: number, points: MetricPoint[]): Promise<void> {
	const rows = new Map<string, RollupRow>()
	for (const p of points) {
		const row = rollupOf(p, at)
		const key = `${row.tenantId}/${row.kind}/${row.dim}/${row.outcome}`
		const had = rows.get(key)
		rows.set(key, had ? mergeRollup(had, row) : row)
	}
	await addMetricRollups(db, [...rows.values()])
}

const requests = (tenantId: string, ok: number, failed: number): MetricPoint[] =>
	[...Array(ok + failed)].map((_, i) => ({
		kind: 'request',
		tenant: tenantId,
		method: 'GET',
		route: '/v1/agents',
		status: i < failed ? 503 : 200,
		latencyMs: 12,
	}))

interface Episode {
	id: string
	rule: string
	status: string
	value: number
	threshold: number
	notified: string
	resolved_at: number | null
}

async function episodes(tenantId: string): Promise<Episode[]> {
	const { results } = await env.DB.prepare(
		'SELECT * FROM alert_episodes WHERE tenant_id = ? ORDER BY opened_at, rule',
	)
		.bind(tenantId)
		.all<Episode>()
	return results
}

async function audited(tenantId: string): Promise<{ action: string; target: string }[]> {
	const { results } = await env.DB.prepare(
		"SELECT action, target FROM audit_log WHERE tenant_id = ? AND actor = 'system:alerts' ORDER BY seq",
	)
		.bind(tenantId)
		.all<{ action: string; target: string }>()
	return results
}

const hooks = (host: string) => platforms.calls.filter((c) => c.url.hostname === host)

function asTenant(tenantId: string, path: string, method: string, body: unknown) {
	return admin(path, {
		method,
		headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': tenantId },
		body: JSON.stringify(body),
	})
}

/** A tenant whose alerts go to `https://<id>.platform.test/hook`, signed with WHSEC. */
async function withWebhook(id: string, alerts: Record<string, unknown> = {}): Promise<void> {
	await tenant(id)
	expect((await asTenant(id, '/v1/secrets/ALERT_SIGNING', 'PUT', { value: WHSEC })).status).toBe(
		201,
	)
	const webhook = { url: `https://${id}.platform.test/hook`, secret: 'ALERT_SIGNING' }
	const res = await asTenant(id, `/v1/tenants/${id}`, 'PATCH', {
		settings: { alerts: { webhook, ...alerts } },
	})
	expect(res.status).toBe(200)
}

beforeAll(async () => {
	await withWebhook('alerts-a', { errorRate: { minRequests: 10 } })
	await withWebhook('alerts-b')
	await tenant('alerts-c')
	await tenant('alerts-d')
	await tenant('alerts-idle')
	await withWebhook('alerts-overlap')
})

describe('alert settings on the tenant', () => {
	it('refuse a webhook the SSRF guard refuses or whose secret the tenant does not have', async () => {
		const refused = await asTenant('alerts-a', '/v1/tenants/alerts-a', 'PATCH', {
			settings: { alerts: { webhook: { url: 'https://127.0.0.1/hook', secret: 'NOPE' } } },
		})
		expect(refused.status).toBe(400)
		const body = await problem(refused)
		expect((body.errors as { path: string }[]).map((e) => e.path)).toEqual([
			'settings.alerts.webhook.url',
			'settings.alerts.webhook.secret',
		])
	})
})

describe('scheduled alert evaluation', () => {
	it('raises an error-rate episode once, signed to the webhook and audited, and resolves it once', async () => {
		const base = minuteOf(Date.now())
		await rollups(base, requests('alerts-a', 10, 10))
		await tick(base + 30_000)
		const [raised] = await episodes('alerts-a')
		expect(await episodes('alerts-a')).toEqual([
			expect.objectContaining({
				rule: 'error_rate',
				status: 'open',
				value: 0.5,
				threshold: 0.05,
				notified: 'sent',
			}),
		])
		const [call] = hooks('alerts-a.platform.test')
		expect(call).toBeDefined()
		if (!call) return
		expect(
			await verifyStandardWebhook(
				WHSEC,
				call.headers,
				new TextEncoder().encode(call.body),
				Date.now(),
			),
		).toBe(true)
		expect(call.headers.get('webhook-id')).toBe(`alert_${raised?.id}_raised`)
		expect(call.json).toMatchObject({
			type: 'alert.raised',
			tenantId: 'alerts-a',
			alert: { id: raised?.id, rule: 'error_rate', status: 'open', value: 0.5 },
		})
		expect(await audited('alerts-a')).toEqual([
			{ action: 'alert.raised', target: 'alert:error_rate' },
		])

		// Still failing a minute later: the same episode, no second notification or audit row.
		await rollups(base + 60_000, requests('alerts-a', 0, 30))
		await tick(base + 90_000)
		expect(await episodes('alerts-a')).toHaveLength(1)
		expect(hooks('alerts-a.platform.test')).toHaveLength(1)
		expect(await audited('alerts-a')).toHaveLength(1)

		// Healthy traffic once the failing minutes have left the window: resolved, once.
		const later = base + 7 * 60_000
		await rollups(later, requests('alerts-a', 50, 0))
		await tick(later + 10_000)
		await tick(later + 70_000)
		expect(await episodes('alerts-a')).toEqual([
			expect.objectContaining({
				status: 'resolved',
				resolved_at: later + 10_000,
				notified: 'sent',
			}),
		])
		const calls = hooks('alerts-a.platform.test')
		expect(calls.map((c) => c.json?.type)).toEqual(['alert.raised', 'alert.resolved'])
		expect(calls[1]?.headers.get('webhook-id')).toBe(`alert_${raised?.id}_resolved`)
		expect(await audited('alerts-a')).toEqual([
			{ action: 'alert.raised', target: 'alert:error_rate' },
			{ action: 'alert.resolved', target: 'alert:error_rate' },
		])
		expect(await episodes('alerts-idle')).toEqual([])
	})

	it('retries a failed notification on the next tick under the same webhook-id, then gives up', async () => {
		const t0 = Date.now()
		await env.DB.prepare(
			"INSERT INTO sessions (tenant_id, agent_id, session_key, stuck_since) VALUES ('alerts-b', 'main', 'wedged', ?)",
		)
			.bind(t0)
			.run()
		const down = () => new Response('down', { status: 503 })
		platforms.script('alerts-b.platform.test/hook', down())
		await tick(t0)
		expect(await episodes('alerts-b')).toEqual([
			expect.objectContaining({ rule: 'stuck_lanes', value: 1, notified: 'pending' }),
		])
		await tick(t0 + 60_000)
		expect((await episodes('alerts-b'))[0]?.notified).toBe('sent')
		const raisedIds = hooks('alerts-b.platform.test').map((c) => c.headers.get('webhook-id'))
		expect(raisedIds).toHaveLength(2)
		expect(new Set(raisedIds).size).toBe(1)

		await env.DB.prepare(
			"UPDATE sessions SET stuck_since = NULL WHERE tenant_id = 'alerts-b'",
		).run()
		platforms.script('alerts-b.platform.test/hook', down(), down())
		const resolvedAt = t0 + 120_000
		await tick(resolvedAt)
		expect((await episodes('alerts-b'))[0]).toMatchObject({
			status: 'resolved',
			notified: 'pending',
		})
		await tick(resolvedAt + NOTIFY_RETRY_MS)
		expect((await episodes('alerts-b'))[0]?.notified).toBe('failed')
		await tick(resolvedAt + NOTIFY_RETRY_MS + 60_000)
		// Two tries for the raise, two for the resolve: given up, nothing more is sent.
		expect(hooks('alerts-b.platform.test').map((c) => c.json?.type)).toEqual([
			'alert.raised',
			'alert.raised',
			'alert.resolved',
			'alert.resolved',
		])
	})

	it('judges every rule from its own source: runs, deliveries, the stuck index and the day budget', async () => {
		const now = Date.now()
		const at = minuteOf(now)
		const run = (durationMs: number): MetricPoint => ({
			kind: 'run',
			tenant: 'alerts-c',
			outcome: 'succeeded',
			model: 'offline:echo',
			mode: 'followup',
			durationMs,
			queueWaitMs: 0,
			steps: 1,
			toolCalls: 0,
			inputTokens: 1,
			outputTokens: 1,
			queueDepth: 0,
			attempt: 1,
		})
		const failedDelivery: MetricPoint = {
			kind: 'delivery',
			tenant: 'alerts-c',
			channel: 'tg-1',
			channelKind: 'telegram',
			outcome: 'failed',
			latencyMs: 30,
			attempts: 6,
			bytes: 10,
		}
		await rollups(at, [...Array(6)].map(() => run(45_000)).concat(failedDelivery))
		await env.DB.prepare(
			"UPDATE tenants SET settings = '{\"dailyTokenBudget\":1000}' WHERE id = 'alerts-c'",
		).run()
		await addUsage(db, [
			{
				tenantId: 'alerts-c',
				day: utcDay(now),
				agentId: 'main',
				model: 'offline:echo',
				calls: 3,
				errors: 0,
				inputTokens: 600,
				outputTokens: 300,
				latencyMs: 10,
			},
		])
		await env.DB.prepare(
			"INSERT INTO sessions (tenant_id, agent_id, session_key, stuck_since) VALUES ('alerts-c', 'main', 'a', ?), ('alerts-c', 'main', 'b', ?)",
		)
			.bind(now, now)
			.run()
		await tick(now)
		const rules = Object.fromEntries((await episodes('alerts-c')).map((e) => [e.rule, e]))
		expect(Object.keys(rules).sort()).toEqual([
			'budget',
			'failed_deliveries',
			'latency_p95',
			'stuck_lanes',
		])
		expect(rules.budget).toMatchObject({ value: 0.9, threshold: 0.8, notified: 'none' })
		expect(rules.stuck_lanes?.value).toBe(2)
		expect(rules.failed_deliveries?.value).toBe(1)
		expect(rules.latency_p95?.value).toBeGreaterThan(30_000)
		expect((await audited('alerts-c')).map((a) => a.action)).toEqual(Array(4).fill('alert.raised'))
	})

	it('logs each raise and resolve as one structured event', async () => {
		const logs = captureLogs()
		const logger = new Logger({}, { sink: logs.sink })
		const stuck = (since: number | null) =>
			env.DB.prepare(
				"INSERT INTO sessions (tenant_id, agent_id, session_key, stuck_since) VALUES ('alerts-d', 'main', 'x', ?) ON CONFLICT DO UPDATE SET stuck_since = excluded.stuck_since",
			)
				.bind(since)
				.run()
		const t0 = Date.now()
		await stuck(t0)
		await runSchedule(env, t0, logger)
		await runSchedule(env, t0 + 60_000, logger)
		await stuck(null)
		await runSchedule(env, t0 + 120_000, logger)
		const events = logs
			.entries()
			.filter((e) => e.msg === 'alert.raised' || e.msg === 'alert.resolved')
		expect(events).toEqual([
			expect.objectContaining({
				level: 'warn',
				msg: 'alert.raised',
				tenant: 'alerts-d',
				rule: 'stuck_lanes',
				value: 1,
				threshold: 1,
			}),
			expect.objectContaining({
				level: 'info',
				msg: 'alert.resolved',
				tenant: 'alerts-d',
				rule: 'stuck_lanes',
				current: 0,
			}),
		])
	})

	it('prunes rollups older than 31 days on the hour, and only then', async () => {
		const hour = minuteOf(Date.now()) - (minuteOf(Date.now()) % 3_600_000)
		const old = hour - 32 * 86_400_000
		const count = async () =>
			(
				await env.DB.prepare(
					"SELECT count(*) AS n FROM metrics_minute WHERE tenant_id = 'alerts-idle'",
				).first<{ n: number }>()
			)?.n
		await rollups(old, requests('alerts-idle', 1, 0))
		await rollups(hour - 60_000, requests('alerts-idle', 1, 0))
		await tick(hour + 60_000)
		expect(await count()).toBe(2)
		await tick(hour)
		expect(await count()).toBe(1)
	})
	// Last: it evaluates every tenant of the file.
	it('two evaluations at once send a pending notification once; a dead one’s claim goes stale', async () => {
		const t0 = Date.now()
		await env.DB.prepare(
			"INSERT INTO alert_episodes (tenant_id, id, rule, status, value, threshold, opened_at, notified) VALUES ('alerts-overlap', 'ep-1', 'stuck_lanes', 'open', 1, 1, ?, 'pending')",
		)
			.bind(t0)
			.run()
		await env.DB.prepare(
			"INSERT INTO sessions (tenant_id, agent_id, session_key, stuck_since) VALUES ('alerts-overlap', 'main', 'wedged', ?)",
		)
			.bind(t0)
			.run()
		const sent: AlertNotification[] = []
		let release = () => {}
		const held = new Promise<void>((resolve) => {
			release = resolve
		})
		const deps = (clock: () => number) => ({
			db,
			now: t0,
			clock,
			newId: () => crypto.randomUUID(),
			logger: new Logger({}, { sink: captureLogs().sink }),
			audit: async () => {},
			// Other tenants' notifications of earlier tests go through at once.
			notify: async (_webhook: unknown, message: AlertNotification) => {
				if (message.tenantId !== 'alerts-overlap') return { ok: true as const }
				sent.push(message)
				// Only the first send is held open (a second one would fail the test, not hang it).
				if (sent.length === 1) await held
				return { ok: true as const }
			},
		})
		// The first holds its send open; the second, meanwhile, finds it claimed and sends nothing.
		const first = evaluateAlerts(deps(() => t0))
		await expect.poll(() => sent.length).toBe(1)
		await evaluateAlerts(deps(() => t0 + 1_000))
		expect(sent).toHaveLength(1)
		release()
		await first
		expect((await episodes('alerts-overlap'))[0]).toMatchObject({ notified: 'sent' })

		// An evaluation that died holding a claim: the claim is another's once it is stale.
		await env.DB.prepare(
			"UPDATE alert_episodes SET notified = 'pending', notify_claimed_at = ? WHERE tenant_id = 'alerts-overlap'",
		)
			.bind(t0)
			.run()
		await evaluateAlerts(deps(() => t0 + NOTIFY_CLAIM_MS - 1))
		expect(sent).toHaveLength(1)
		await evaluateAlerts(deps(() => t0 + NOTIFY_CLAIM_MS))
		expect(sent).toHaveLength(2)
		expect(sent.map((m) => m.alert.id)).toEqual(['ep-1', 'ep-1'])
		expect((await episodes('alerts-overlap'))[0]).toMatchObject({ notified: 'sent' })
	})
})
