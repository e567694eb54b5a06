// What a heartbeat's slot does: a bare `HEARTBEAT_OK` answer is metered but delivered nowhere (no
// webhook post, nothing to the channel peer), any other answer is delivered; a slot outside the
// active hours or in a session idle too long is skipped with no turn, and so is a tenant past its
// daily token budget. The timer runs with an injected clock inside its own object.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { heartbeatScheduleId } from '../../src/automation/heartbeat/schedule'
import { encodeBase64 } from '../../src/security/bytes'
import * as flow from '../channels/flow-setup'
import { FakePlatforms } from '../fakes/platforms'
import { admin, eventually } from '../helpers'
import { tenant } from '../security/helpers'
import { beatingAgent, heartbeatRow, MIN, putAgent } from './heartbeat-setup'
import { armAndTick, runsOf } from './schedule-setup'

const TENANT = 'beat-fires'
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const platforms = FakePlatforms.install()

interface Posted {
	url: string
	body: Record<string, unknown>
}

function receiver(): { fetch: typeof fetch; posted: Posted[] } {
	const posted: Posted[] = []
	return {
		posted,
		fetch: async (input, init) => {
			const req = new Request(input, init)
			posted.push({ url: req.url, body: (await req.json()) as Record<string, unknown> })
			return new Response(null, { status: 204 })
		},
	}
}

const anchorOf = async (agentId: string): Promise<number> => {
	const row = await heartbeatRow(TENANT, agentId)
	if (!row) throw new Error(`no heartbeat for ${agentId}`)
	return row.anchor_at
}

const tokensToday = async (tenantId: string): Promise<number> => {
	const row = await env.DB.prepare(
		'SELECT COALESCE(SUM(input_tokens + output_tokens), 0) AS n FROM usage_daily WHERE tenant_id = ?',
	)
		.bind(tenantId)
		.first<{ n: number }>()
	return row?.n ?? 0
}

const sessionRow = (agentId: string, sessionKey: string) =>
	env.DB.prepare(
		'SELECT last_run_id, updated_at FROM sessions WHERE tenant_id = ? AND agent_id = ? AND session_key = ?',
	)
		.bind(TENANT, agentId, sessionKey)
		.first<{ last_run_id: string | null; updated_at: number }>()

/** Writes the sessions index as a person's message at `at` would have left it. */
const personWroteAt = (agentId: string, at: number) =>
	env.DB.prepare(
		`INSERT INTO sessions (tenant_id, agent_id, session_key, message_count, last_run_id, created_at, updated_at)
		 VALUES (?, ?, 'main', 2, 'run-of-a-person', ?, ?)
		 ON CONFLICT (tenant_id, agent_id, session_key) DO UPDATE SET last_run_id = excluded.last_run_id,
		 updated_at = excluded.updated_at`,
	)
		.bind(TENANT, agentId, at, at)
		.run()

const HOOK = { type: 'webhook', url: 'https://hooks.example.com/beat' }

const asTenant = (path: string) => admin(path, { headers: { 'x-edgeclaw-tenant': TENANT } })

/** The session's transcript as `role: text` lines. */
const transcriptOf = async (agentId: string, sessionKey = 'main'): Promise<string[]> => {
	const res = await asTenant(`/v1/sessions/${sessionKey}/messages?agent=${agentId}&limit=500`)
	expect(res.status).toBe(200)
	const page = (await res.json()) as { messages: { role: string; content: { text: string }[] }[] }
	return page.messages.map((m) => `${m.role}: ${m.content.map((p) => p.text).join('')}`)
}

beforeAll(async () => {
	await tenant(TENANT)
})

describe('HEARTBEAT_OK', () => {
	it('is metered but not delivered; another answer is delivered', async () => {
		await beatingAgent(TENANT, 'ack', { every: '1m', prompt: 'HEARTBEAT_OK', delivery: HOOK })
		const id = heartbeatScheduleId('ack')
		const anchor = await anchorOf('ack')
		const before = await tokensToday(TENANT)
		const hook = receiver()
		const runs = await armAndTick(TENANT, id, anchor + 1_000, [anchor + MIN + 500], hook.fetch)
		expect(runs.map((r) => [r.status, r.delivery, r.sessionKey])).toEqual([
			['ok', 'suppressed', 'main'],
		])
		expect(runs[0]?.laneRunId).toBeTruthy()
		expect(hook.posted).toEqual([])
		// The turn ran and its tokens count like any other turn's.
		const after = await eventually(async () => {
			const n = await tokensToday(TENANT)
			return n > before ? n : undefined
		})
		expect(after).toBeGreaterThan(before)
		// The run keeps the exchange; the transcript later turns read does not.
		const run = await asTenant(`/v1/sessions/main/runs/${runs[0]?.laneRunId}?agent=ack`)
		expect(((await run.json()) as { output: string }).output).toBe('echo: HEARTBEAT_OK')
		expect(await transcriptOf('ack')).toEqual([])

		// The same heartbeat with a prompt that is not answered HEARTBEAT_OK: delivered.
		const put = await putAgent(TENANT, 'ack', {
			every: '1m',
			prompt: 'The disk is full',
			delivery: HOOK,
		})
		expect(put.status).toBe(200)
		const later = await armAndTick(
			TENANT,
			id,
			anchor + MIN + 1_000,
			[anchor + 2 * MIN + 500],
			hook.fetch,
		)
		expect(later.map((r) => [r.status, r.delivery])).toEqual([
			['ok', 'suppressed'],
			['ok', 'sent'],
		])
		expect(hook.posted).toHaveLength(1)
		expect(hook.posted[0]?.body).toMatchObject({
			type: 'schedule.run',
			scheduleId: id,
			run: { status: 'succeeded', output: 'echo: The disk is full' },
		})
		expect(await transcriptOf('ack')).toEqual([
			'user: The disk is full',
			'assistant: echo: The disk is full',
		])
	})

	it('an acknowledgement never reaches a channel peer; another answer does', async () => {
		const whsec = `whsec_${encodeBase64(new TextEncoder().encode('heartbeat-channel-signing.....'.padEnd(32, '.')))}`
		await flow.prepareTenant(TENANT, { HB_SIGNING: whsec })
		await flow.createChannel(TENANT, {
			id: 'beat-hook',
			kind: 'webhook',
			config: {
				secrets: { signingSecret: 'HB_SIGNING' },
				dmPolicy: 'open',
				callbackUrl: 'https://beat-hook.platform.test/callback',
			},
		})
		const delivery = {
			type: 'channel',
			channelId: 'beat-hook',
			target: { peer: { kind: 'dm', id: 'oncall' }, sender: { id: 'oncall' }, eventId: 'beat' },
		}
		await beatingAgent(TENANT, 'paged', { every: '1m', prompt: '**HEARTBEAT_OK**', delivery })
		const id = heartbeatScheduleId('paged')
		const anchor = await anchorOf('paged')
		const first = await armAndTick(TENANT, id, anchor + 1_000, [anchor + MIN + 500])
		expect(first.map((r) => [r.status, r.delivery])).toEqual([['ok', 'suppressed']])
		expect(
			(await putAgent(TENANT, 'paged', { every: '1m', prompt: 'Build is red', delivery })).status,
		).toBe(200)
		const second = await armAndTick(TENANT, id, anchor + MIN + 1_000, [anchor + 2 * MIN + 500])
		expect(second.map((r) => [r.status, r.delivery])).toEqual([
			['ok', 'suppressed'],
			['ok', 'outbox'],
		])
		// The lane's outbox sends in order: had the acknowledgement been queued, it would come first.
		const calls = await eventually(async () => {
			const c = platforms.calls.filter((x) => x.url.hostname === 'beat-hook.platform.test')
			return c.length > 0 ? c : undefined
		})
		expect(calls.map((c) => (c.json as { text: string }).text)).toEqual(['echo: Build is red'])
	})
})

describe('skipped slots', () => {
	it('outside the active hours: skipped with the reason, no turn', async () => {
		await beatingAgent(TENANT, 'sleepy', { every: '1m', prompt: 'HEARTBEAT_OK' })
		const anchor = await anchorOf('sleepy')
		const slot = anchor + MIN
		const h = new Date(slot).getUTCHours()
		const hh = (n: number) => `${String(n % 24).padStart(2, '0')}:00`
		// A window two hours after the slot: the slot is outside it.
		const put = await putAgent(TENANT, 'sleepy', {
			every: '1m',
			prompt: 'HEARTBEAT_OK',
			activeHours: { start: hh(h + 2), end: hh(h + 3), timeZone: 'UTC' },
		})
		expect(put.status).toBe(200)
		const id = heartbeatScheduleId('sleepy')
		const runs = await armAndTick(TENANT, id, anchor + 1_000, [slot + 500])
		expect(runs.map((r) => [r.status, r.laneRunId, r.delivery])).toEqual([
			['skipped', null, 'none'],
		])
		expect(runs[0]?.error).toMatch(
			/^outside active hours \d\d:00-\d\d:00 UTC \(local time \d\d:\d\d\)$/,
		)
		expect(await sessionRow('sleepy', 'main')).toBeNull()
		// Operators see the skip where they see any schedule's runs.
		const api = await asTenant(`/v1/schedules/${id}/runs`)
		expect(api.status).toBe(200)
		const listed = (await api.json()) as { runs: { status: string; error: string }[] }
		expect(listed.runs.map((r) => [r.status, r.error])).toEqual([['skipped', runs[0]?.error]])

		// The window that holds the slot (it may wrap midnight): the next slot runs.
		await putAgent(TENANT, 'sleepy', {
			every: '1m',
			prompt: 'HEARTBEAT_OK',
			activeHours: { start: hh(h + 23), end: hh(h + 2), timeZone: 'UTC' },
		})
		const next = await armAndTick(TENANT, id, slot + 1_000, [slot + MIN + 500])
		expect(next.map((r) => r.status)).toEqual(['skipped', 'ok'])
	})

	it('in a session idle beyond skipIfIdleDays: skipped, no turn; the heartbeat is no activity', async () => {
		await beatingAgent(TENANT, 'idle', { every: '1h', prompt: 'HEARTBEAT_OK', skipIfIdleDays: 1 })
		const id = heartbeatScheduleId('idle')
		const anchor = await anchorOf('idle')
		await personWroteAt('idle', anchor - 3 * DAY)
		let runs = await armAndTick(TENANT, id, anchor + 1_000, [anchor + HOUR + 500])
		expect(runs.map((r) => [r.status, r.laneRunId])).toEqual([['skipped', null]])
		expect(runs[0]?.error).toBe('the session has been idle for 3 days (skipIfIdleDays 1)')
		expect((await sessionRow('idle', 'main'))?.last_run_id).toBe('run-of-a-person')

		// Someone wrote an hour before the next slot: it runs.
		await personWroteAt('idle', anchor + HOUR)
		runs = await armAndTick(TENANT, id, anchor + HOUR + 1_000, [anchor + 2 * HOUR + 500])
		expect(runs.map((r) => r.status)).toEqual(['skipped', 'ok'])
		const beat = runs[1]?.laneRunId
		// The heartbeat's own run touches the index, and still does not count as activity.
		await eventually(async () =>
			(await sessionRow('idle', 'main'))?.last_run_id === beat ? true : undefined,
		)
		const late = anchor + 2 * HOUR + 2 * DAY
		runs = await armAndTick(TENANT, id, late - HOUR + 1_000, [late + 500])
		const last = runs.at(-1)
		expect([last?.status, last?.laneRunId, last?.dueAt]).toEqual(['skipped', null, late])
		expect(last?.error).toMatch(/idle for 2 days/)
	})

	it("past the tenant's daily token budget: a failed run, no turn", async () => {
		await tenant('beat-broke')
		const res = await admin('/v1/tenants/beat-broke', {
			method: 'PATCH',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ settings: { dailyTokenBudget: 0 } }),
		})
		expect(res.status).toBe(200)
		const created = await admin('/v1/agents', {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': 'beat-broke' },
			body: JSON.stringify({
				id: 'broke',
				name: 'broke',
				config: {
					model: { primary: 'offline:echo' },
					heartbeat: { every: '1m', prompt: 'HEARTBEAT_OK' },
				},
			}),
		})
		expect(created.status).toBe(201)
		const row = await env.DB.prepare(
			'SELECT anchor_at FROM schedules WHERE tenant_id = ? AND id = ?',
		)
			.bind('beat-broke', heartbeatScheduleId('broke'))
			.first<{ anchor_at: number }>()
		const anchor = row?.anchor_at as number
		const runs = await armAndTick('beat-broke', heartbeatScheduleId('broke'), anchor + 1_000, [
			anchor + MIN + 500,
		])
		expect(runs.map((r) => [r.status, r.laneRunId])).toEqual([['failed', null]])
		expect(runs[0]?.error).toMatch(/daily token budget/)
		expect(await runsOf('beat-broke', heartbeatScheduleId('broke'))).toHaveLength(1)
	})
})
