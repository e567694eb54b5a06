// Announces survive restarts: a parent whose object restarts while its child works still gets the
// child's answer, once; an answer the child never heard back about is offered again on its alarm
// and taken as a duplicate; and a waiting parent cannot deadlock a tenant capped at one run.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneName } from '../../src/lanes/name'
import type { LaneEvent } from '../../src/lanes/types'
import { createAgent, eventually, messagesOf, send, waitForRun } from '../helpers'

await createAgent(env.DB, 'boss', { tools: { allow: ['group:sessions'] } })

const spawn = (args: Record<string, unknown>) => `/tool sessions_spawn ${JSON.stringify(args)}`
const laneOf = (sessionKey: string) =>
	env.SESSION_LANE.getByName(laneName({ tenantId: 'default', agentId: 'boss', sessionKey }))

type AnnounceRow = {
	status: string
	attempts: number
}

const announcesOf = (sessionKey: string): Promise<AnnounceRow[]> =>
	runInDurableObject(laneOf(sessionKey), async (_i, state) =>
		state.storage.sql.exec<AnnounceRow>('SELECT status, attempts FROM announces').toArray(),
	)

const announceTurns = async (sessionKey: string) =>
	(await messagesOf(sessionKey, 'boss')).filter(
		(m) => m.role === 'user' && m.text.includes('Subagent "late"'),
	)

describe('subagent announces across restarts', () => {
	it('arrives exactly once when the parent restarts before and after taking it', async () => {
		const { run } = await send('sr-1', {
			agent: 'boss',
			content: spawn({ task: '/slow 400 late answer', label: 'late' }),
			wait: true,
		})
		expect(run.status).toBe('succeeded')
		const started = await eventually(async () => {
			const view = await laneOf('sr-1').getRun(run.runId)
			return view.ok ? view.value.children?.[0] : undefined
		})
		// The parent's object goes away while its child works (a stub of an aborted object is spent).
		await laneOf('sr-1')
			.restart()
			.catch(() => {})
		const child = await waitForRun(started.sessionKey, started.runId, undefined, { agent: 'boss' })
		expect(child.output).toBe('echo: late answer')
		await eventually(async () => ((await announceTurns('sr-1')).length > 0 ? true : undefined))
		await eventually(async () =>
			(await announcesOf(started.sessionKey))[0]?.status === 'sent' ? true : undefined,
		)

		// The parent took it, but suppose its answer was lost: the child offers it again on its
		// alarm, to a parent restarted once more, which takes it as a duplicate.
		await runInDurableObject(laneOf(started.sessionKey), async (_i, state) => {
			state.storage.sql.exec("UPDATE announces SET status = 'pending', next_at = 0")
			await state.storage.setAlarm(Date.now())
		})
		await laneOf('sr-1')
			.restart()
			.catch(() => {})
		expect(await runDurableObjectAlarm(laneOf(started.sessionKey))).toBe(true)
		const rows = await eventually(async () => {
			const r = await announcesOf(started.sessionKey)
			return r[0]?.status === 'sent' && r[0].attempts === 2 ? r : undefined
		})
		expect(rows).toEqual([{ status: 'sent', attempts: 2 }])
		// The parent's next turn saw it, once.
		await eventually(async () => {
			const ms = await messagesOf('sr-1', 'boss')
			return ms.some((m) => m.role === 'assistant' && m.text.includes('Subagent "late"'))
				? true
				: undefined
		})
		expect(await announceTurns('sr-1')).toHaveLength(1)
		const events = (await laneOf('sr-1').eventsAfter(0, 500)) as unknown as LaneEvent[]
		expect(events.filter((e) => e.type === 'subagent.announced')).toHaveLength(1)
		expect(events.filter((e) => e.type === 'subagent.spawned')).toEqual([
			expect.objectContaining({
				runId: run.runId,
				data: expect.objectContaining({ sessionKey: started.sessionKey, label: 'late', depth: 1 }),
			}),
		])
	})
})

describe('subagents and the tenant gate', () => {
	it('a parent waiting on its child in a tenant capped at one run does not deadlock', async () => {
		await env.DB.prepare(
			"INSERT INTO tenants (id, name, settings) VALUES ('solo', 'solo', '{\"maxConcurrentRuns\":1}')",
		).run()
		await createAgent(env.DB, 'boss', { tools: { allow: ['group:sessions'] } }, 'solo')
		const lane = env.SESSION_LANE.getByName(
			laneName({ tenantId: 'solo', agentId: 'boss', sessionKey: 'gate-1' }),
		)
		const subject = {
			kind: 'platform' as const,
			id: 'admin-token',
			role: 'admin',
			tenantId: 'solo',
			scopes: [],
			channel: 'api',
		}
		const agent = await env.DB.prepare("SELECT config FROM agents WHERE tenant_id = 'solo'").first<{
			config: string
		}>()
		const { AgentConfig } = await import('../../src/agents/config')
		const sent = await lane.send(
			{
				session: { tenantId: 'solo', agentId: 'boss', sessionKey: 'gate-1' },
				agent: {
					tenantId: 'solo',
					id: 'boss',
					version: 1,
					config: AgentConfig.parse(JSON.parse(agent?.config ?? '{}')),
				},
				content: [{ type: 'text', text: spawn({ task: 'inside the slot', wait: true }) }],
				mode: 'followup',
				maxConcurrentRuns: 1,
				subject,
			},
			{ waitMs: 20_000 },
		)
		expect(sent.ok).toBe(true)
		const final = sent.ok ? sent.value.final : undefined
		expect(final?.status).toBe('succeeded')
		expect(final?.output).toContain('echo: inside the slot')
	})
})
