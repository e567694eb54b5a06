// The schedules API: create, read, list by pages, change, delete; the checks at create (400s that
// name the field), an idempotent create by id or 409, run-now, the alarm following every write,
// and no create body — however malformed — ever answered with a 5xx.
import { env, runInDurableObject } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ScheduleLedger } from '../../src/automation/schedules/ledger'
import { timerName } from '../../src/automation/schedules/timer'
import { admin, call, problem } from '../helpers'
import { tenant } from '../security/helpers'

const TENANT = 'sched-api'
const headers = { 'content-type': 'application/json', 'x-edgeclaw-tenant': TENANT }
const post = (path: string, body: unknown) =>
	admin(path, { method: 'POST', headers, body: JSON.stringify(body) })
const patch = (path: string, body: unknown) =>
	admin(path, { method: 'PATCH', headers, body: JSON.stringify(body) })
const get = (path: string) => admin(path, { headers })
const del = (path: string) => admin(path, { method: 'DELETE', headers })

const hourly = (id: string, extra: Record<string, unknown> = {}) => ({
	id,
	schedule: { kind: 'every', every: '1h' },
	target: { agentId: 'main', session: 'main', message: 'status report' },
	...extra,
})

/** The timer object's armed slot and alarm. */
const timer = (id: string) =>
	runInDurableObject(env.SCHEDULE_TIMER.getByName(timerName(TENANT, id)), async (_i, state) => ({
		armed: new ScheduleLedger(state.storage.sql).armed(),
		alarm: await state.storage.getAlarm(),
	}))

beforeAll(async () => {
	await tenant(TENANT)
})

describe('create and read', () => {
	it('creates, shows the next due time and arms the alarm at it', async () => {
		const res = await post('/v1/schedules', hourly('hourly'))
		expect(res.status).toBe(201)
		expect(res.headers.get('location')).toBe('/v1/schedules/hourly')
		const body = (await res.json()) as Record<string, unknown>
		expect(body).toMatchObject({
			id: 'hourly',
			enabled: true,
			schedule: { kind: 'every', everyMs: 3_600_000 },
			target: { agentId: 'main', session: 'main', message: 'status report' },
			delivery: { type: 'none' },
			misfire: { policy: 'runOnce', maxLatenessMs: 3_600_000 },
			consecutiveFailures: 0,
			disabledReason: null,
		})
		expect(body.signingSecret).toBeUndefined()
		const due = Date.parse(body.nextDueAt as string)
		expect(due).toBeGreaterThan(Date.now())
		const { armed, alarm } = await timer('hourly')
		expect(armed?.dueAt).toBe(due)
		expect(alarm).toBe(due)
		expect(((await (await get('/v1/schedules/hourly')).json()) as { id: string }).id).toBe('hourly')
	})

	it('is idempotent for the same definition and 409 for another', async () => {
		const first = await post('/v1/schedules', hourly('twice'))
		expect(first.status).toBe(201)
		// `every: "1h"` and `everyMs: 3600000` are the same definition.
		const again = await post('/v1/schedules', {
			...hourly('twice'),
			schedule: { kind: 'every', everyMs: 3_600_000 },
		})
		expect(again.status).toBe(200)
		const other = await post(
			'/v1/schedules',
			hourly('twice', { target: { agentId: 'main', message: 'other' } }),
		)
		expect(other.status).toBe(409)
		expect((await problem(other)).code).toBe('conflict')
	})

	it('gives an id when none is sent', async () => {
		const { id: _, ...body } = hourly('x')
		const res = await post('/v1/schedules', body)
		expect(res.status).toBe(201)
		expect(((await res.json()) as { id: string }).id).toMatch(/^sch-/)
	})
})

describe('checks at create', () => {
	const refused = async (body: unknown, path: string) => {
		const res = await post('/v1/schedules', body)
		expect(res.status, JSON.stringify(body)).toBe(400)
		const p = await problem(res)
		expect(p.code).toBe('validation_failed')
		expect(typeof p.requestId).toBe('string')
		const errors = p.errors as { path: string; message: string }[]
		expect(errors.map((e) => e.path)).toContain(path)
		return errors
	}

	it('refuses an unknown time zone, a bad cron expression, too short an interval', async () => {
		await refused(
			hourly('tz', { schedule: { kind: 'cron', expr: '0 9 * * *', timeZone: 'Mars/Base' } }),
			'schedule.timeZone',
		)
		const [cron] = await refused(
			hourly('cron', { schedule: { kind: 'cron', expr: '61 9 * * *' } }),
			'schedule.expr',
		)
		expect(cron?.message).toMatch(/minute/)
		await refused(
			hourly('short', { schedule: { kind: 'every', everyMs: 59_999 } }),
			'schedule.everyMs',
		)
		await refused(
			hourly('both', { schedule: { kind: 'every', everyMs: 60_000, every: '1m' } }),
			'schedule',
		)
	})

	it('refuses an `at` in the past, an unknown agent, an unknown channel', async () => {
		await refused(
			hourly('past', { schedule: { kind: 'at', at: '2001-01-01T00:00:00Z' } }),
			'schedule.at',
		)
		await refused(
			hourly('agent', { target: { agentId: 'nobody', message: 'x' } }),
			'target.agentId',
		)
		await refused(
			hourly('chan', { delivery: { type: 'channel', channelId: 'nope', target: { chatId: 1 } } }),
			'delivery.channelId',
		)
	})

	it('refuses a webhook to a private address (SSRF guard)', async () => {
		for (const url of [
			'https://10.0.0.7/hook',
			'https://169.254.169.254/x',
			'https://localhost/x',
		]) {
			await refused(hourly('ssrf', { delivery: { type: 'webhook', url } }), 'delivery.url')
		}
		await refused(
			hourly('alert', {
				alertWebhook: { url: 'https://hooks.example.com/a', secret: 'NO_SUCH_SECRET' },
			}),
			'alertWebhook.secret',
		)
	})

	it('never answers any create body with a 5xx', async () => {
		const time = fc.oneof(
			fc.record({
				kind: fc.constant('at'),
				at: fc.oneof(
					fc.string(),
					fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
				),
			}),
			fc.record(
				{ kind: fc.constant('every'), everyMs: fc.integer(), every: fc.string({ maxLength: 6 }) },
				{ requiredKeys: ['kind'] },
			),
			fc.record(
				{
					kind: fc.constant('cron'),
					expr: fc.string({ maxLength: 30 }),
					timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'X/Y', ''),
				},
				{ requiredKeys: ['kind'] },
			),
			fc.anything(),
		)
		const body = fc.record(
			{
				id: fc.oneof(fc.constantFrom('p-1', 'p-2', 'hourly'), fc.string({ maxLength: 70 })),
				schedule: time,
				target: fc.oneof(
					fc.record({
						agentId: fc.constantFrom('main', 'ghost', ''),
						session: fc.constantFrom('main', 'isolated', 'a b', 'k:1'),
						message: fc.string({ maxLength: 20 }),
					}),
					fc.anything(),
				),
				delivery: fc.oneof(
					fc.constant({ type: 'none' }),
					fc.record({ type: fc.constant('webhook'), url: fc.oneof(fc.webUrl(), fc.string()) }),
					fc.record({ type: fc.constant('channel'), channelId: fc.string(), target: fc.object() }),
					fc.anything(),
				),
				misfire: fc.record(
					{ policy: fc.constantFrom('skip', 'runOnce', 'never'), maxLatenessMs: fc.integer() },
					{ requiredKeys: [] },
				),
				enabled: fc.boolean(),
			},
			{ requiredKeys: [] },
		)
		await fc.assert(
			fc.asyncProperty(body, async (b) => {
				const res = await post('/v1/schedules', b)
				await res.body?.cancel()
				expect(res.status, JSON.stringify(b)).toBeLessThan(500)
			}),
			{ numRuns: 60, seed: 24 },
		)
	})
})

describe('list', () => {
	it('pages by id with a cursor', async () => {
		for (const id of ['page-a', 'page-b', 'page-c']) {
			expect((await post('/v1/schedules', hourly(id))).status).toBe(201)
		}
		const seen: string[] = []
		let cursor: string | null = null
		do {
			const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
			const page = (await (await get(`/v1/schedules?limit=2${q}`)).json()) as {
				schedules: { id: string }[]
				nextCursor: string | null
			}
			expect(page.schedules.length).toBeLessThanOrEqual(2)
			seen.push(...page.schedules.map((s) => s.id))
			cursor = page.nextCursor
		} while (cursor)
		expect(seen).toEqual([...seen].sort())
		expect(seen).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']))
		expect(new Set(seen).size).toBe(seen.length)
		const bad = await get('/v1/schedules?cursor=nonsense')
		expect(bad.status).toBe(400)
	})
})

describe('change and delete', () => {
	it('PATCH computes the next due time again and moves the alarm', async () => {
		await post('/v1/schedules', hourly('moving'))
		const res = await patch('/v1/schedules/moving', {
			schedule: { kind: 'cron', expr: '0 3 * * *', timeZone: 'Asia/Tokyo' },
		})
		expect(res.status).toBe(200)
		const body = (await res.json()) as { nextDueAt: string; version: number }
		const due = Date.parse(body.nextDueAt)
		expect(new Date(due).getUTCHours()).toBe(18) // 03:00 in Tokyo
		expect(body.version).toBe(2)
		expect((await timer('moving')).alarm).toBe(due)
	})

	it('disabling keeps the row and clears the alarm; enabling arms it again', async () => {
		await post('/v1/schedules', hourly('switch'))
		const off = (await (await patch('/v1/schedules/switch', { enabled: false })).json()) as {
			enabled: boolean
			nextDueAt: string | null
		}
		expect(off).toMatchObject({ enabled: false, nextDueAt: null })
		expect((await timer('switch')).alarm).toBeNull()
		const on = (await (await patch('/v1/schedules/switch', { enabled: true })).json()) as {
			nextDueAt: string
		}
		expect((await timer('switch')).alarm).toBe(Date.parse(on.nextDueAt))
	})

	it('DELETE removes the row, the alarm and the runs', async () => {
		await post('/v1/schedules', hourly('gone'))
		expect((await del('/v1/schedules/gone')).status).toBe(204)
		expect((await get('/v1/schedules/gone')).status).toBe(404)
		expect((await del('/v1/schedules/gone')).status).toBe(404)
		const { armed, alarm } = await timer('gone')
		expect(armed).toBeUndefined()
		expect(alarm).toBeNull()
	})

	it('refuses unknown fields and a PATCH of a missing schedule', async () => {
		expect((await patch('/v1/schedules/hourly', { colour: 'red' })).status).toBe(400)
		expect((await patch('/v1/schedules/missing', { enabled: false })).status).toBe(404)
	})
})

describe('webhook delivery secret', () => {
	it('is generated at create, returned once, and stored sealed', async () => {
		const res = await post(
			'/v1/schedules',
			hourly('hooked', { delivery: { type: 'webhook', url: 'https://hooks.example.com/s' } }),
		)
		expect(res.status).toBe(201)
		const { signingSecret } = (await res.json()) as { signingSecret: string }
		expect(signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
		const read = await (await get('/v1/schedules/hooked')).text()
		expect(read).not.toContain(signingSecret)
		const again = await (
			await post(
				'/v1/schedules',
				hourly('hooked', { delivery: { type: 'webhook', url: 'https://hooks.example.com/s' } }),
			)
		).text()
		expect(again).not.toContain(signingSecret)
		const row = await env.DB.prepare(
			'SELECT definition, secret_ciphertext FROM schedules WHERE tenant_id = ? AND id = ?',
		)
			.bind(TENANT, 'hooked')
			.first<{ definition: string; secret_ciphertext: string }>()
		expect(row?.secret_ciphertext).toBeTruthy()
		expect(JSON.stringify(row)).not.toContain(signingSecret.slice(6))
	})
})

describe('documented and audited', () => {
	it('is described in /openapi.json', async () => {
		const doc = (await (await call('/openapi.json')).json()) as {
			paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
		}
		expect(Object.keys(doc.paths['/v1/schedules'] ?? {}).sort()).toEqual(['get', 'post'])
		expect(Object.keys(doc.paths['/v1/schedules/{scheduleId}'] ?? {}).sort()).toEqual([
			'delete',
			'get',
			'patch',
		])
		expect(doc.paths['/v1/schedules/{scheduleId}/runs']?.get).toBeDefined()
		expect(doc.paths['/v1/schedules/{scheduleId}/run']?.post?.responses).toHaveProperty('202')
		expect(doc.paths['/v1/schedules']?.post?.responses).toHaveProperty('409')
	})

	it('audits every write, naming the schedule but never its message', async () => {
		await post(
			'/v1/schedules',
			hourly('audited', { target: { agentId: 'main', message: 'secret plan' } }),
		)
		await patch('/v1/schedules/audited', { enabled: false })
		await del('/v1/schedules/audited')
		const { results } = await env.DB.prepare(
			'SELECT action, actor, data FROM audit_log WHERE tenant_id = ? AND target = ? ORDER BY seq',
		)
			.bind(TENANT, 'schedule:audited')
			.all<{ action: string; actor: string; data: string }>()
		expect(results.map((r) => r.action)).toEqual([
			'schedule.created',
			'schedule.updated',
			'schedule.deleted',
		])
		expect(results.every((r) => r.actor === 'admin-token')).toBe(true)
		expect(JSON.stringify(results)).not.toContain('secret plan')
	})
})

describe('run now', () => {
	it('queues a run that the next alarm settles, listed under runs', async () => {
		await post(
			'/v1/schedules',
			hourly('now', { target: { agentId: 'main', session: 'isolated', message: 'ping' } }),
		)
		const res = await admin('/v1/schedules/now/run', { method: 'POST', headers })
		expect(res.status).toBe(202)
		const run = (await res.json()) as {
			id: string
			status: string
			trigger: string
			sessionKey: string
		}
		expect(run).toMatchObject({ trigger: 'manual', status: 'queued' })
		expect(run.sessionKey).toMatch(/^schedule:now:run-/)
		const page = (await (await get('/v1/schedules/now/runs')).json()) as {
			runs: { id: string }[]
		}
		expect(page.runs.map((r) => r.id)).toEqual([run.id])
		expect((await get('/v1/schedules/missing/runs')).status).toBe(404)
	})
})
