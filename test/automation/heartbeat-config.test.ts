// An agent's heartbeat setting: validated (a bad interval, time or zone is a 400 naming the field),
// materialised as the agent-owned schedule `heartbeat.<agent>` whose timer is armed, changed and
// disarmed with the agent, listed with the schedules but written only through the agent.
import { runInDurableObject } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { isHeartbeatAck } from '../../src/automation/heartbeat/ack'
import { DEFAULT_HEARTBEAT_PROMPT, HeartbeatConfig } from '../../src/automation/heartbeat/config'
import { withinActiveHours } from '../../src/automation/heartbeat/gate'
import { ScheduleLedger } from '../../src/automation/schedules/ledger'
import { problem } from '../helpers'
import { tenant } from '../security/helpers'
import {
	agentBody,
	beatingAgent,
	heartbeatRow,
	MIN,
	postAgent,
	putAgent,
	scheduleCall,
} from './heartbeat-setup'
import { timerStub } from './schedule-setup'

const TENANT = 'beat-config'
const ID = 'heartbeat.'

/** The timer's armed slot and alarm. */
const timerState = (agentId: string) =>
	runInDurableObject(timerStub(TENANT, `${ID}${agentId}`), async (_i, state) => ({
		armed: new ScheduleLedger(state.storage.sql).armed() ?? null,
		alarm: await state.storage.getAlarm(),
	}))

beforeAll(async () => {
	await tenant(TENANT)
})

describe('validation', () => {
	const cases: [Record<string, unknown>, string][] = [
		[{ every: '30s' }, 'config.heartbeat.every'],
		[{ every: 'often' }, 'config.heartbeat.every'],
		[{ every: 59_999 }, 'config.heartbeat.every'],
		[
			{ every: '30m', activeHours: { start: '9:00', end: '17:00' } },
			'config.heartbeat.activeHours.start',
		],
		[
			{ every: '30m', activeHours: { start: '09:00', end: '24:30' } },
			'config.heartbeat.activeHours.end',
		],
		[
			{ every: '30m', activeHours: { start: '09:00', end: '17:00', timeZone: 'Mars/Olympus' } },
			'config.heartbeat.activeHours.timeZone',
		],
		[
			{ every: '30m', activeHours: { start: '08:00', end: '08:00' } },
			'config.heartbeat.activeHours.end',
		],
		[{ every: '30m', skipIfIdleDays: 0 }, 'config.heartbeat.skipIfIdleDays'],
		[{ every: '30m', session: 'isolated' }, 'config.heartbeat.session'],
		[
			{ every: '30m', delivery: { type: 'webhook', url: 'https://10.0.0.1/x' } },
			'config.heartbeat.delivery.url',
		],
		[
			{ every: '30m', delivery: { type: 'channel', channelId: 'nope', target: {} } },
			'config.heartbeat.delivery.channelId',
		],
		[{ every: '30m', surprise: true }, 'config.heartbeat'],
	]
	for (const [heartbeat, field] of cases) {
		it(`refuses ${JSON.stringify(heartbeat)} naming ${field}`, async () => {
			const res = await postAgent(TENANT, agentBody('refused', heartbeat))
			expect(res.status).toBe(400)
			const body = await problem(res)
			const paths = (body.errors as { path: string }[]).map((e) => e.path)
			expect(
				paths.some((p) => p.startsWith(field)),
				JSON.stringify(body),
			).toBe(true)
			expect(await heartbeatRow(TENANT, 'refused')).toBeNull()
		})
	}
	it('nothing half-written: the refused agent does not exist', async () => {
		expect((await scheduleCall(TENANT, '/v1/agents/refused')).status).toBe(404)
	})
})

describe('lifecycle', () => {
	it('off by default: an agent without heartbeat has no schedule', async () => {
		expect((await postAgent(TENANT, agentBody('quiet'))).status).toBe(201)
		expect(await heartbeatRow(TENANT, 'quiet')).toBeNull()
	})

	it('create arms, update changes, removal and deletion disarm', async () => {
		const agent = await beatingAgent(TENANT, 'pulse', { every: '30m' })
		expect((agent.config as Record<string, unknown>).heartbeat).toMatchObject({
			every: '30m',
			prompt: DEFAULT_HEARTBEAT_PROMPT,
			session: 'main',
			delivery: { type: 'none' },
		})
		const row = await heartbeatRow(TENANT, 'pulse')
		if (!row) throw new Error('no heartbeat schedule')
		let state = await timerState('pulse')
		expect(state.armed?.dueAt).toBe(row.anchor_at + 30 * MIN)
		expect(state.alarm).toBe(row.anchor_at + 30 * MIN)

		// Listed with the schedules, marked as the agent's.
		const list = (await (await scheduleCall(TENANT, '/v1/schedules')).json()) as {
			schedules: Record<string, unknown>[]
		}
		const listed = list.schedules.find((s) => s.id === 'heartbeat.pulse')
		expect(listed).toMatchObject({
			heartbeatOf: 'pulse',
			schedule: { kind: 'every', everyMs: 30 * MIN },
			target: { agentId: 'pulse', session: 'main' },
			misfire: { policy: 'skip' },
		})
		expect((await scheduleCall(TENANT, '/v1/schedules/heartbeat.pulse/runs')).status).toBe(200)

		expect((await putAgent(TENANT, 'pulse', { every: '2h', session: 'ops' })).status).toBe(200)
		state = await timerState('pulse')
		expect(state.armed?.dueAt).toBe(row.anchor_at + 2 * 60 * MIN)
		const changed = await heartbeatRow(TENANT, 'pulse')
		expect(JSON.parse(changed?.definition as string).target.session).toBe('ops')

		// The same heartbeat again writes nothing.
		const version = changed?.version
		expect((await putAgent(TENANT, 'pulse', { every: '2h', session: 'ops' })).status).toBe(200)
		expect((await heartbeatRow(TENANT, 'pulse'))?.version).toBe(version)

		expect((await putAgent(TENANT, 'pulse')).status).toBe(200)
		expect(await heartbeatRow(TENANT, 'pulse')).toBeNull()
		state = await timerState('pulse')
		expect(state).toEqual({ armed: null, alarm: null })

		expect((await putAgent(TENANT, 'pulse', { every: 3_600_000 })).status).toBe(200)
		expect((await timerState('pulse')).alarm).not.toBeNull()
		expect((await scheduleCall(TENANT, '/v1/agents/pulse', { method: 'DELETE' })).status).toBe(204)
		expect(await heartbeatRow(TENANT, 'pulse')).toBeNull()
		expect(await timerState('pulse')).toEqual({ armed: null, alarm: null })
	})

	it('a webhook delivery gets a signing secret, shown once', async () => {
		const agent = await beatingAgent(TENANT, 'hooked', {
			every: '1h',
			delivery: { type: 'webhook', url: 'https://hooks.example.com/beat' },
		})
		expect(agent.heartbeatSigningSecret).toMatch(/^whsec_/)
		const again = await putAgent(TENANT, 'hooked', {
			every: '2h',
			delivery: { type: 'webhook', url: 'https://hooks.example.com/beat' },
		})
		expect(((await again.json()) as Record<string, unknown>).heartbeatSigningSecret).toBeUndefined()
	})
})

describe('the owned schedule is written through the agent only', () => {
	it('PATCH, DELETE and create with its id are 409 schedule_owned_by_agent', async () => {
		await beatingAgent(TENANT, 'owned', { every: '1h' })
		const patch = await scheduleCall(TENANT, '/v1/schedules/heartbeat.owned', {
			method: 'PATCH',
			body: JSON.stringify({ enabled: false }),
		})
		expect(patch.status).toBe(409)
		const body = await problem(patch)
		expect(body.code).toBe('schedule_owned_by_agent')
		expect(body.detail).toMatch(/PUT \/v1\/agents\/owned/)
		const del = await scheduleCall(TENANT, '/v1/schedules/heartbeat.owned', { method: 'DELETE' })
		expect(del.status).toBe(409)
		expect((await problem(del)).code).toBe('schedule_owned_by_agent')
		const create = await scheduleCall(TENANT, '/v1/schedules', {
			method: 'POST',
			body: JSON.stringify({
				id: 'heartbeat.owned',
				schedule: { kind: 'every', every: '1h' },
				target: { agentId: 'owned', message: 'hi' },
			}),
		})
		expect(create.status).toBe(409)
		expect((await problem(create)).code).toBe('schedule_owned_by_agent')
		expect((await heartbeatRow(TENANT, 'owned'))?.enabled).toBe(1)
		// Another tenant does not see it.
		await tenant('beat-config-other')
		const foreign = await scheduleCall('beat-config-other', '/v1/schedules/heartbeat.owned')
		expect(foreign.status).toBe(404)
	})
})

describe('HEARTBEAT_OK matcher', () => {
	const edge = fc.constantFrom('', ' ', '\n', '**', '*', '.', '!', '`', '<b>', '</b>', ' — ')
	const shortText = fc.string({ maxLength: 300 }).filter((s) => !s.includes('HEARTBEAT_OK'))

	it('an acknowledgement at either end with at most 300 other characters matches', () => {
		fc.assert(
			fc.property(edge, edge, shortText, fc.boolean(), (before, after, text, atStart) => {
				const token = `${before}HEARTBEAT_OK${after}`
				const reply = atStart ? `${token} ${text}` : `${text} ${token}`
				expect(isHeartbeatAck(reply)).toBe(true)
			}),
		)
	})

	it('more than 300 other characters, or the token inside a word or mid-text, do not match', () => {
		fc.assert(
			fc.property(
				fc
					.string({ minLength: 301, maxLength: 2_000 })
					.map((s) => `x${s.replace(/[\s\p{P}\p{S}]/gu, 'y')}`),
				fc.boolean(),
				(text, atStart) => {
					expect(isHeartbeatAck(atStart ? `HEARTBEAT_OK ${text}` : `${text} HEARTBEAT_OK`)).toBe(
						false,
					)
				},
			),
		)
		fc.assert(
			fc.property(shortText, shortText, (a, b) => {
				const mid = `word${a.replace(/HEARTBEAT/g, '')}HEARTBEAT_OKAY${b}`
				expect(isHeartbeatAck(mid)).toBe(false)
			}),
		)
		for (const text of ['', 'all good', 'NOT_HEARTBEAT_OK', 'HEARTBEAT_OKAY', 'a HEARTBEAT_OK b']) {
			expect(isHeartbeatAck(text), text).toBe(false)
		}
		for (const text of [
			'HEARTBEAT_OK',
			'**HEARTBEAT_OK**.',
			'echo: HEARTBEAT_OK',
			'HEARTBEAT_OK — quiet day',
		]) {
			expect(isHeartbeatAck(text), text).toBe(true)
		}
	})

	it('is linear on long punctuation', () => {
		expect(isHeartbeatAck(`${'.'.repeat(100_000)}x`)).toBe(false)
	})
})

describe('active hours', () => {
	const at = (iso: string) => Date.parse(iso)
	it('start inclusive, end exclusive, wrapping midnight, in the zone', () => {
		const day = { start: '09:00', end: '17:00', timeZone: 'Europe/Berlin' }
		expect(withinActiveHours(day, at('2030-01-01T08:00:00Z'))).toBe(true) // 09:00 local
		expect(withinActiveHours(day, at('2030-01-01T07:59:00Z'))).toBe(false)
		expect(withinActiveHours(day, at('2030-01-01T16:00:00Z'))).toBe(false) // 17:00 local
		const night = { start: '22:00', end: '24:00', timeZone: 'UTC' }
		expect(withinActiveHours(night, at('2030-01-01T23:59:00Z'))).toBe(true)
		expect(withinActiveHours(night, at('2030-01-01T00:00:00Z'))).toBe(false)
		const wrap = { start: '22:00', end: '06:00', timeZone: 'UTC' }
		expect(withinActiveHours(wrap, at('2030-01-01T03:00:00Z'))).toBe(true)
		expect(withinActiveHours(wrap, at('2030-01-01T12:00:00Z'))).toBe(false)
	})
})

describe('config parsing', () => {
	const UNIT = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

	it('`every` is accepted exactly from 60 s to 366 days, as a duration or ms', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 600_000 }),
				fc.constantFrom('s', 'm', 'h', 'd'),
				(n, unit: keyof typeof UNIT) => {
					const ms = n * UNIT[unit]
					const ok = ms >= 60_000 && ms <= 366 * UNIT.d
					expect(HeartbeatConfig.safeParse({ every: `${n}${unit}` }).success).toBe(ok)
					expect(HeartbeatConfig.safeParse({ every: ms }).success).toBe(ok)
				},
			),
		)
	})

	it('active hours take every HH:MM (24:00 only as an end) and refuse anything else', () => {
		const hhmm = fc
			.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
			.map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`)
		fc.assert(
			fc.property(hhmm, fc.oneof(hhmm, fc.constant('24:00')), (start, end) => {
				const parsed = HeartbeatConfig.safeParse({ every: '1h', activeHours: { start, end } })
				expect(parsed.success).toBe(start !== end)
			}),
		)
		fc.assert(
			fc.property(fc.string({ maxLength: 8 }), (text) => {
				fc.pre(!/^([01]\d|2[0-3]):[0-5]\d$/.test(text))
				const parsed = HeartbeatConfig.safeParse({
					every: '1h',
					activeHours: { start: text, end: '12:00' },
				})
				expect(parsed.success).toBe(false)
			}),
		)
	})
})
