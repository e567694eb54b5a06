// GET /v1/alerts: a tenant's alert episodes, open first and newest first, filtered by status and
// paged by cursor; operators, members and viewers may read them, and no tenant sees
// another's.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { problem } from '../helpers'
import { as, key, tenant } from '../security/helpers'

interface Alert {
	id: string
	rule: string
	status: string
	value: number
	threshold: number
	openedAt: number
	resolvedAt: number | null
	notified: string
}

async function episode(
	tenantId: string,
	id: string,
	rule: string,
	openedAt: number,
	resolvedAt?: number,
) {
	await env.DB.prepare(
		`INSERT INTO alert_episodes (tenant_id, id, rule, status, value, threshold, opened_at, resolved_at, notified)
		 VALUES (?, ?, ?, ?, 0.5, 0.05, ?, ?, ?)`,
	)
		.bind(
			tenantId,
			id,
			rule,
			resolvedAt ? 'resolved' : 'open',
			openedAt,
			resolvedAt ?? null,
			resolvedAt ? 'sent' : 'none',
		)
		.run()
}

let viewer: string
beforeAll(async () => {
	await tenant('alerts-api')
	await tenant('alerts-api-other')
	await episode('alerts-api', 'e1', 'error_rate', 1_000, 2_000)
	await episode('alerts-api', 'e2', 'stuck_lanes', 3_000)
	await episode('alerts-api', 'e3', 'budget', 4_000, 9_000)
	await episode('alerts-api', 'e4', 'latency_p95', 5_000)
	await episode('alerts-api-other', 'x1', 'budget', 6_000)
	viewer = (await key('alerts-api', 'viewer')).secret
})

async function list(
	query = '',
	secret = viewer,
): Promise<{ alerts: Alert[]; nextCursor: string | null }> {
	const res = await as(secret, `/v1/alerts${query}`)
	expect(res.status).toBe(200)
	return (await res.json()) as { alerts: Alert[]; nextCursor: string | null }
}

describe('GET /v1/alerts', () => {
	it("lists the tenant's episodes, open first, newest first", async () => {
		const { alerts, nextCursor } = await list()
		expect(alerts.map((a) => a.id)).toEqual(['e4', 'e2', 'e3', 'e1'])
		expect(alerts[2]).toEqual({
			id: 'e3',
			rule: 'budget',
			status: 'resolved',
			value: 0.5,
			threshold: 0.05,
			openedAt: 4_000,
			resolvedAt: 9_000,
			notified: 'sent',
		})
		expect(nextCursor).toBeNull()
	})

	it('filters by status and pages with a cursor', async () => {
		expect((await list('?status=resolved')).alerts.map((a) => a.id)).toEqual(['e3', 'e1'])
		const seen: string[] = []
		let cursor: string | null = null
		do {
			const page: { alerts: Alert[]; nextCursor: string | null } = await list(
				`?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
			)
			seen.push(...page.alerts.map((a) => a.id))
			cursor = page.nextCursor
		} while (cursor)
		expect(seen).toEqual(['e4', 'e2', 'e3', 'e1'])
		const bad = await as(viewer, '/v1/alerts?cursor=W10')
		expect(bad.status).toBe(400)
		expect((await problem(bad)).code).toBe('validation_failed')
	})

	it('is for operators, members and viewers; never across tenants', async () => {
		const operator = (await key('alerts-api', 'operator')).secret
		expect((await list('', operator)).alerts).toHaveLength(4)
		const member = (await key('alerts-api', 'member')).secret
		expect((await list('', member)).alerts).toHaveLength(4)
		const other = (await key('alerts-api-other', 'viewer')).secret
		expect((await list('', other)).alerts.map((a) => a.id)).toEqual(['x1'])
	})
})
