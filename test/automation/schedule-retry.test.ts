// A schedule run's webhook delivery that fails for a reason worth a retry (5xx, 429, a timeout, no
// answer) is retried from the timer's alarm with backoff and the same `webhook-id`; a 4xx or an
// SSRF refusal is not. The run counts for the failure streak once its delivery is settled.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
	DELIVERY_RETRY_FIRST_MS,
	DELIVERY_TRIES,
	nextTryAt,
} from '../../src/automation/schedules/delivery'
import { verifyStandardWebhook } from '../../src/security/standard-webhooks'
import { admin } from '../helpers'
import { tenant } from '../security/helpers'
import { createSchedule, inTimer, runsOf, T0 } from './schedule-setup'

const TENANT = 'sched-retry'
const MIN = 60_000
const HOUR = 60 * MIN

interface Posted {
	url: string
	headers: Headers
	body: Uint8Array
	at: number
}

/** A fetch that records every request and answers the n-th (from 0) with `status(n)`. */
function receiver(clock: { now: number }, status: (n: number) => number) {
	const posted: Posted[] = []
	const fetcher: typeof fetch = async (input, init) => {
		const req = new Request(input, init)
		const n = posted.length
		posted.push({
			url: req.url,
			headers: req.headers,
			body: new Uint8Array(await req.arrayBuffer()),
			at: clock.now,
		})
		return new Response(null, { status: status(n) })
	}
	return { posted, fetch: fetcher }
}

/** Hourly, so no second slot comes due while a delivery is retried. */
const hourly = (id: string, url: string) => ({
	id,
	schedule: { kind: 'every', everyMs: HOUR, anchorAt: new Date(T0).toISOString() },
	target: { agentId: 'main', session: 'isolated', message: `hello from ${id}` },
	delivery: { type: 'webhook', url },
})

const streakOf = (id: string) =>
	env.DB.prepare(
		'SELECT consecutive_failures AS n, last_status AS s FROM schedules WHERE tenant_id = ? AND id = ?',
	)
		.bind(TENANT, id)
		.first<{ n: number; s: string | null }>()

/** Fires the first slot, then runs the alarm at each retry time the ledger names, until none. */
async function fireAndRetry(id: string, fetcher: typeof fetch, clock: { now: number }) {
	await inTimer(TENANT, id, clock, (logic) => logic.arm({ tenantId: TENANT, scheduleId: id }))
	clock.now = T0 + HOUR + 500
	await inTimer(TENANT, id, clock, (logic) => logic.tick(), fetcher)
	for (let i = 0; i < 20; i++) {
		const next = await inTimer(TENANT, id, clock, (_l, ledger) => ledger.nextRetryAt())
		if (next === null) break
		clock.now = next
		await inTimer(TENANT, id, clock, (logic) => logic.tick(), fetcher)
	}
	return runsOf(TENANT, id)
}

describe('webhook delivery retries', () => {
	it('503 twice then 200: one run, sent on the 3rd try with one webhook-id, no streak', async () => {
		await tenant(TENANT)
		const created = await createSchedule(TENANT, hourly('flaky', 'https://hooks.example.com/f'))
		const clock = { now: T0 + 1_000 }
		const hook = receiver(clock, (n) => (n < 2 ? 503 : 200))
		const runs = await fireAndRetry('flaky', hook.fetch, clock)
		expect(runs).toHaveLength(1)
		expect(runs[0]).toMatchObject({
			status: 'ok',
			delivery: 'sent',
			deliveryAttempts: 3,
			deliveryNextAt: null,
			deliveryError: null,
		})
		expect(hook.posted).toHaveLength(3)
		const ids = new Set(hook.posted.map((p) => p.headers.get('webhook-id')))
		expect([...ids]).toEqual([`schedule_run_${runs[0]?.id}`])
		// Fresh timestamp and signature per try, each valid at its own time.
		const stamps = hook.posted.map((p) => p.headers.get('webhook-timestamp'))
		expect(new Set(stamps).size).toBe(3)
		for (const p of hook.posted) {
			expect(
				await verifyStandardWebhook(created.signingSecret as string, p.headers, p.body, p.at),
			).toBe(true)
		}
		// Backoff: 30 s, then 60 s.
		const gaps = hook.posted.slice(1).map((p, i) => p.at - (hook.posted[i] as Posted).at)
		expect(gaps).toEqual([DELIVERY_RETRY_FIRST_MS, 2 * DELIVERY_RETRY_FIRST_MS])
		// Every try carries the same body.
		expect(new Set(hook.posted.map((p) => new TextDecoder().decode(p.body))).size).toBe(1)
		expect(await streakOf('flaky')).toEqual({ n: 0, s: 'ok' })
	})

	it('the runs view shows a pending delivery, its attempts and last error; the alarm is the retry', async () => {
		await createSchedule(TENANT, hourly('waiting', 'https://hooks.example.com/w'))
		const clock = { now: T0 + 1_000 }
		const hook = receiver(clock, () => 429)
		await inTimer(TENANT, 'waiting', clock, (logic) =>
			logic.arm({ tenantId: TENANT, scheduleId: 'waiting' }),
		)
		clock.now = T0 + HOUR + 500
		const alarm = await inTimer(
			TENANT,
			'waiting',
			clock,
			async (logic, _ledger, state) => {
				await logic.tick()
				return state.storage.getAlarm()
			},
			hook.fetch,
		)
		const retryAt = clock.now + DELIVERY_RETRY_FIRST_MS
		// The retry comes before the next slot (an hour on), so the alarm is set to it.
		expect(alarm).toBe(retryAt)
		const res = await admin('/v1/schedules/waiting/runs', {
			headers: { 'x-edgeclaw-tenant': TENANT },
		})
		expect(res.status).toBe(200)
		const body = (await res.json()) as { runs: Array<Record<string, unknown>> }
		expect(body.runs[0]).toMatchObject({
			status: 'ok',
			delivery: 'pending',
			deliveryAttempts: 1,
			deliveryNextAt: new Date(retryAt).toISOString(),
			deliveryError: 'HTTP 429',
		})
		// Not counted yet, either way.
		expect(await streakOf('waiting')).toEqual({ n: 0, s: null })
		// Deleted, the schedule's timer is wiped with the retry it held.
		const deleted = await admin('/v1/schedules/waiting', {
			method: 'DELETE',
			headers: { 'x-edgeclaw-tenant': TENANT },
		})
		expect(deleted.status).toBeLessThan(300)
		const left = await inTimer(TENANT, 'waiting', clock, async (_l, ledger, state) => ({
			retry: ledger.nextRetryAt(),
			runs: ledger.list(10).length,
			alarm: await state.storage.getAlarm(),
		}))
		expect(left).toEqual({ retry: null, runs: 0, alarm: null })
	})

	it('always 503: failed after the last try, and counted for the streak', async () => {
		await createSchedule(TENANT, hourly('down', 'https://hooks.example.com/d'))
		const clock = { now: T0 + 1_000 }
		const hook = receiver(clock, () => 503)
		const runs = await fireAndRetry('down', hook.fetch, clock)
		expect(runs).toHaveLength(1)
		expect(runs[0]).toMatchObject({
			status: 'failed',
			delivery: 'failed',
			deliveryAttempts: DELIVERY_TRIES,
			deliveryNextAt: null,
			deliveryError: 'HTTP 503',
			error: 'HTTP 503',
		})
		expect(hook.posted).toHaveLength(DELIVERY_TRIES)
		expect(new Set(hook.posted.map((p) => p.headers.get('webhook-id'))).size).toBe(1)
		expect(await streakOf('down')).toEqual({ n: 1, s: 'failed' })
		// Nothing left to retry: the alarm is the next slot.
		const alarm = await inTimer(TENANT, 'down', clock, (_l, _ledger, state) =>
			state.storage.getAlarm(),
		)
		expect(alarm).toBe(T0 + 2 * HOUR)
	})

	it('a 400 is not retried: failed at once', async () => {
		await createSchedule(TENANT, hourly('bad', 'https://hooks.example.com/b'))
		const clock = { now: T0 + 1_000 }
		const hook = receiver(clock, () => 400)
		const runs = await fireAndRetry('bad', hook.fetch, clock)
		expect(hook.posted).toHaveLength(1)
		expect(runs.map((r) => [r.status, r.delivery, r.deliveryAttempts, r.deliveryError])).toEqual([
			['failed', 'failed', 1, 'HTTP 400'],
		])
		expect(await streakOf('bad')).toEqual({ n: 1, s: 'failed' })
	})

	it('an SSRF-refused address is not retried', async () => {
		await createSchedule(TENANT, hourly('private', 'https://hooks.example.com/p'))
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
		const clock = { now: T0 + 1_000 }
		const hook = receiver(clock, () => 200)
		const runs = await fireAndRetry('private', hook.fetch, clock)
		expect(hook.posted).toEqual([])
		expect(runs.map((r) => [r.status, r.delivery, r.deliveryNextAt])).toEqual([
			['failed', 'failed', null],
		])
		expect(runs[0]?.deliveryError).toMatch(/refused/)
	})

	it('an older ledger without the retry columns gets them, its runs kept', async () => {
		const clock = { now: T0 }
		const runs = await inTimer(TENANT, 'legacy', clock, (_l, _ledger, state) => {
			const sql = state.storage.sql
			sql.exec('DROP TABLE runs')
			sql.exec(`CREATE TABLE runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
				trigger TEXT NOT NULL, due_at INTEGER UNIQUE, fired_at INTEGER NOT NULL, finished_at INTEGER,
				status TEXT NOT NULL, lane_run_id TEXT, session_key TEXT, error TEXT,
				delivery TEXT NOT NULL, delivery_error TEXT)`)
			sql.exec(
				"INSERT INTO runs (id, trigger, due_at, fired_at, finished_at, status, delivery) VALUES ('old', 'schedule', 1, 1, 2, 'ok', 'sent')",
			)
			return undefined
		})
		expect(runs).toBeUndefined()
		const after = await runsOf(TENANT, 'legacy')
		expect(after).toEqual([
			expect.objectContaining({ id: 'old', deliveryAttempts: 0, deliveryNextAt: null }),
		])
	})

	it('backoff: 30 s doubling (30 s, 1, 2, 4, 8 min), at most 6 tries, none after an hour', () => {
		const first = T0
		expect(nextTryAt(1, first, first)).toBe(first + 30_000)
		expect(nextTryAt(2, first, first)).toBe(first + 60_000)
		expect(nextTryAt(5, first, first)).toBe(first + 8 * MIN)
		expect(nextTryAt(6, first, first)).toBeNull()
		// A late alarm: the delay counts from the try, and none is left after the hour.
		expect(nextTryAt(5, first, first + 30 * MIN)).toBe(first + 38 * MIN)
		expect(nextTryAt(3, first, first + 59 * MIN)).toBeNull()
	})
})
