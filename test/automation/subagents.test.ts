// Subagents through the whole stack: a real turn of the offline model calls sessions_spawn, the
// child lane runs the task, and its answer comes back to the parent once — as a queued turn, or as
// the tool's result when the spawn waits — with the limits, refusals, cascades and the children
// listed on the parent's run.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneName } from '../../src/lanes/name'
import type { LaneEvent } from '../../src/lanes/types'
import {
	admin,
	createAgent,
	eventually,
	getRun,
	messagesOf,
	postJson,
	send,
	waitForRun,
} from '../helpers'

const SESSIONS = { allow: ['group:sessions'] }
await createAgent(env.DB, 'boss', { tools: SESSIONS })
await createAgent(env.DB, 'worker', {})
await createAgent(env.DB, 'delegator', {
	tools: SESSIONS,
	subagents: { allowAgents: ['worker'], maxDepth: 2 },
})
// A deep agent under a shallow one: the shallow ancestor's limit holds for the whole chain.
await createAgent(env.DB, 'shallow', {
	tools: SESSIONS,
	subagents: { maxDepth: 1, allowAgents: ['deep'] },
})
await createAgent(env.DB, 'deep', { tools: SESSIONS, subagents: { maxDepth: 5 } })
await createAgent(env.DB, 'single', { tools: SESSIONS, subagents: { maxChildren: 1 } })

const spawn = (args: Record<string, unknown>) => `/tool sessions_spawn ${JSON.stringify(args)}`

interface ToolRow {
	tool: string
	status: string
	code: string | null
}

/** The tool calls recorded for a session (`tool_executions`), once there are `n`. */
async function toolCalls(agent: string, session: string, n = 1): Promise<ToolRow[]> {
	return eventually(async () => {
		const res = await admin(
			`/v1/tool-executions?agent=${agent}&session=${encodeURIComponent(session)}`,
		)
		const { executions } = (await res.json()) as { executions: ToolRow[] }
		return executions.length >= n ? executions : undefined
	})
}

/** The JSON each tool call returned, from the parent's transcript, in order. */
async function toolResults(session: string, agent: string): Promise<Record<string, unknown>[]> {
	const res = await admin(
		`/v1/sessions/${encodeURIComponent(session)}/messages?agent=${agent}&limit=500`,
	)
	const { messages } = (await res.json()) as {
		messages: { role: string; content: { type: string; result?: string; isError?: boolean }[] }[]
	}
	return messages
		.flatMap((m) => m.content)
		.filter((p) => p.type === 'tool-result')
		.map((p) => {
			const text = (p.result ?? '').replace(/^<tool_result[^>]*>|<\/tool_result>$/g, '')
			return p.isError ? { error: text } : (JSON.parse(text) as Record<string, unknown>)
		})
}

/** The JSON the session's first tool call returned. */
const toolResult = async (session: string, agent: string) =>
	(await toolResults(session, agent))[0] as Record<string, unknown>

const laneOf = (agentId: string, sessionKey: string) =>
	env.SESSION_LANE.getByName(laneName({ tenantId: 'default', agentId, sessionKey }))

describe('subagents', () => {
	it('spawns a child lane whose answer is announced back once and seen by the next turn', async () => {
		const { run } = await send('sa-1', {
			agent: 'boss',
			content: spawn({ task: 'hello child', label: 'kid' }),
			wait: true,
		})
		expect(run.status).toBe('succeeded')
		const started = await toolResult('sa-1', 'boss')
		expect(started).toMatchObject({ status: 'queued' })
		const childKey = String(started.sessionKey)
		expect(childKey).toMatch(/^sa-1:sub:[0-9a-f]{12}$/)
		const child = await waitForRun(childKey, String(started.runId), undefined, { agent: 'boss' })
		expect(child).toMatchObject({ status: 'succeeded', output: 'echo: hello child' })

		// The announce becomes a turn of the parent, which sees the child's answer as labelled data.
		const seen = await eventually(async () => {
			const ms = await messagesOf('sa-1', 'boss')
			return ms.some((m) => m.role === 'assistant' && m.text.includes('Subagent "kid" finished'))
				? ms
				: undefined
		})
		const announces = seen.filter((m) => m.role === 'user' && m.text.includes('Subagent "kid"'))
		expect(announces).toHaveLength(1)
		expect(announces[0]?.text).toContain('untrusted data')
		expect(announces[0]?.text).toContain('<subagent_result')
		expect(announces[0]?.text).toContain('echo: hello child')

		// A second offer of the same child run (its answer was lost) is taken as a duplicate.
		const body = {
			parent: { tenantId: 'default', agentId: 'boss', sessionKey: 'sa-1' },
			child: { tenantId: 'default', agentId: 'boss', sessionKey: childKey },
			runId: String(started.runId),
			label: 'kid',
			status: 'succeeded' as const,
			output: 'echo: hello child',
			error: null,
			usage: null,
			finishedAt: Date.now(),
		}
		expect(await laneOf('boss', 'sa-1').acceptAnnounce(body)).toEqual({
			accepted: true,
			outcome: 'duplicate',
		})
		// A session that is not its child is refused quietly (the sender stops retrying).
		expect(
			await laneOf('boss', 'sa-1').acceptAnnounce({
				...body,
				child: { ...body.child, sessionKey: 'sa-1:sub:000000000000' },
			}),
		).toEqual({ accepted: true, outcome: 'unknown' })
		const after = await messagesOf('sa-1', 'boss')
		expect(
			after.filter((m) => m.role === 'user' && m.text.includes('Subagent "kid"')),
		).toHaveLength(1)

		// The parent's run lists its child run, with the usage the announce carried.
		const parentRun = await getRun('sa-1', run.runId, 'boss')
		expect(parentRun.children).toEqual([
			{
				sessionKey: childKey,
				agentId: 'boss',
				runId: String(started.runId),
				status: 'succeeded',
				usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
			},
		])
	})

	it('with wait, returns the child answer as the tool result and queues no extra turn', async () => {
		const { run } = await send('sa-wait', {
			agent: 'boss',
			content: spawn({ task: 'compute', wait: true }),
			wait: true,
		})
		expect(run.status).toBe('succeeded')
		const result = await toolResult('sa-wait', 'boss')
		expect(result).toMatchObject({ status: 'succeeded', output: 'echo: compute' })
		// The child's announce arrives (or arrived) and is not turned into a turn of the parent.
		const parentLane = laneOf('boss', 'sa-wait')
		await eventually(async () => {
			const events = (await parentLane.eventsAfter(0, 500)) as unknown as LaneEvent[]
			return events.some((e) => e.type === 'subagent.announced') ? true : undefined
		})
		const runs = await parentLane.listRuns(0, 50)
		expect(runs.ok && runs.value.runs.map((r) => r.runId)).toEqual([run.runId])
		const parent = await getRun('sa-wait', run.runId, 'boss')
		expect(parent.children).toEqual([
			expect.objectContaining({ status: 'succeeded', usage: expect.any(Object) }),
		])
	})

	it('sends to, lists and reads its own children only', async () => {
		const tool = (name: string, args: Record<string, unknown>) =>
			send('sa-talk', {
				agent: 'boss',
				content: `/tool ${name} ${JSON.stringify(args)}`,
				wait: true,
			})
		await tool('sessions_spawn', { task: 'first', label: 'pal', wait: true })
		const started = await toolResult('sa-talk', 'boss')
		const key = String(started.sessionKey)
		expect(started).toMatchObject({ status: 'succeeded', output: 'echo: first' })

		await tool('sessions_send', { sessionKey: key, message: 'second' })
		const sentTo = (await toolResults('sa-talk', 'boss'))[1]
		expect(sentTo).toMatchObject({ sessionKey: key, status: 'queued' })
		await waitForRun(key, String(sentTo?.runId), undefined, { agent: 'boss' })
		// Its answer comes back as a turn of the parent.
		await eventually(async () =>
			(await messagesOf('sa-talk', 'boss')).some(
				(m) => m.role === 'user' && m.text.includes('echo: second'),
			)
				? true
				: undefined,
		)

		await tool('sessions_list', {})
		const listed = (await toolResults('sa-talk', 'boss'))[2]
		expect(listed).toEqual({
			sessions: [
				{
					sessionKey: key,
					agent: 'boss',
					label: 'pal',
					depth: 1,
					createdAt: expect.any(Number),
					lastRun: { runId: String(sentTo?.runId), status: 'succeeded' },
				},
			],
		})

		await tool('sessions_history', { sessionKey: key, limit: 3 })
		const history = (await toolResults('sa-talk', 'boss'))[3]
		expect(history).toEqual({
			sessionKey: key,
			untrusted: true,
			messages: [
				{ role: 'assistant', text: 'echo: first' },
				{ role: 'user', text: 'second' },
				{ role: 'assistant', text: 'echo: second' },
			],
		})

		// Another session of the tenant is not its child.
		await tool('sessions_history', { sessionKey: 'sa-1', limit: 3 })
		await tool('sessions_send', { sessionKey: 'sa-1', message: 'hi' })
		const refusals = (await toolCalls('boss', 'sa-talk', 6)).filter((r) => r.status === 'failed')
		expect(refusals.map((r) => r.code)).toEqual(['subagent_not_child', 'subagent_not_child'])
	})

	it('refuses a spawn beyond maxDepth, with a stable code', async () => {
		// boss allows depth 1: its child may not spawn again.
		const { run } = await send('sa-depth', {
			agent: 'boss',
			content: spawn({ task: spawn({ task: 'grandchild' }), wait: true }),
			wait: true,
		})
		const child = await toolResult('sa-depth', 'boss')
		expect(run.status).toBe('succeeded')
		expect(String(child.output)).toMatch(/sessions_spawn failed/)
		const rows = await toolCalls('boss', String(child.sessionKey))
		expect(rows[0]).toMatchObject({
			tool: 'sessions_spawn',
			status: 'failed',
			code: 'subagent_depth_exceeded',
		})
	})

	it("never nests past an ancestor's maxDepth, even under an agent that allows more", async () => {
		await send('sa-chain', {
			agent: 'shallow',
			content: spawn({ task: spawn({ task: 'too deep' }), agent: 'deep', wait: true }),
			wait: true,
		})
		const child = await toolResult('sa-chain', 'shallow')
		expect(child).toMatchObject({ status: 'succeeded' })
		const rows = await toolCalls('deep', String(child.sessionKey))
		expect(rows[0]).toMatchObject({ tool: 'sessions_spawn', code: 'subagent_depth_exceeded' })
	})

	it('lets a deeper config nest, and only spawns agents allowAgents names', async () => {
		const denied = await send('sa-allow', {
			agent: 'boss',
			content: spawn({ task: 'x', agent: 'worker' }),
			wait: true,
		})
		expect(denied.run.status).toBe('succeeded')
		const rows = await toolCalls('boss', 'sa-allow')
		expect(rows[0]).toMatchObject({ code: 'subagent_agent_denied', status: 'failed' })

		await send('sa-allow2', {
			agent: 'delegator',
			content: spawn({ task: 'work', agent: 'worker', wait: true }),
			wait: true,
		})
		expect(await toolResult('sa-allow2', 'delegator')).toMatchObject({
			status: 'succeeded',
			output: 'echo: work',
		})
		const unknown = await send('sa-allow3', {
			agent: 'delegator',
			content: spawn({ task: 'x', agent: 'nobody' }),
			wait: true,
		})
		expect(unknown.run.status).toBe('succeeded')
		expect((await toolCalls('delegator', 'sa-allow3'))[0]).toMatchObject({
			code: 'subagent_agent_denied',
		})
	})

	it('refuses children beyond maxChildren while they work', async () => {
		const first = await send('sa-many', {
			agent: 'single',
			content: spawn({ task: '/slow 60000 long' }),
			wait: true,
		})
		expect(first.run.status).toBe('succeeded')
		const second = await send('sa-many', {
			agent: 'single',
			content: spawn({ task: 'second' }),
			wait: true,
		})
		expect(second.run.status).toBe('succeeded')
		const rows = await toolCalls('single', 'sa-many', 2)
		expect(rows.map((r) => r.code ?? 'ok').sort()).toEqual(['ok', 'subagent_children_exceeded'])
		// Clean up: the reset cancels the working child.
		expect((await postJson('/v1/sessions/sa-many/reset?agent=single', {})).status).toBe(200)
	})

	it('cancelling a parent run cancels the child it waits for', async () => {
		const { run } = await send('sa-cancel', {
			agent: 'boss',
			content: spawn({ task: '/slow 60000 long', wait: true }),
		})
		const parentLane = laneOf('boss', 'sa-cancel')
		const childRun = await eventually(async () => {
			const view = await parentLane.getRun(run.runId)
			return view.ok ? view.value.children?.[0] : undefined
		})
		await waitForRun(childRun.sessionKey, childRun.runId, (r) => r.status === 'running', {
			agent: 'boss',
		})
		const cancelled = await admin(`/v1/sessions/sa-cancel/runs/${run.runId}/cancel?agent=boss`, {
			method: 'POST',
		})
		expect(cancelled.status).toBe(200)
		expect(
			await waitForRun(childRun.sessionKey, childRun.runId, undefined, { agent: 'boss' }),
		).toMatchObject({
			status: 'cancelled',
		})
		// The child's cancellation is not announced back as news.
		const parent = await getRun('sa-cancel', run.runId, 'boss')
		expect(parent.children).toEqual([expect.objectContaining({ status: 'cancelled' })])
		const ms = await messagesOf('sa-cancel', 'boss')
		expect(ms.some((m) => m.text.includes('was cancelled'))).toBe(false)
	})

	it('resetting a parent cancels its children and forgets them', async () => {
		const { run } = await send('sa-reset', {
			agent: 'boss',
			content: spawn({ task: '/slow 60000 long', label: 'sleeper' }),
			wait: true,
		})
		const started = await toolResult('sa-reset', 'boss')
		const childKey = String(started.sessionKey)
		await waitForRun(childKey, String(started.runId), (r) => r.status === 'running', {
			agent: 'boss',
		})
		expect(run.status).toBe('succeeded')
		const reset = await postJson('/v1/sessions/sa-reset/reset?agent=boss', {})
		expect(reset.status).toBe(200)
		expect(
			await waitForRun(childKey, String(started.runId), undefined, { agent: 'boss' }),
		).toMatchObject({
			status: 'cancelled',
		})
		// The child's announce of its cancelled run finds no child any more: no turn follows.
		const childLane = laneOf('boss', childKey)
		await eventually(async () => {
			const events = (await childLane.eventsAfter(0, 500)) as unknown as LaneEvent[]
			return events.some((e) => e.type === 'cancelled') ? true : undefined
		})
		const ms = await messagesOf('sa-reset', 'boss')
		expect(ms).toEqual([])
	})
})
