// The memory tools in real turns: HTTP → lane → offline model calling memory_write,
// memory_search, memory_get and memory_forget (`/tool <name> <json>`) → the lane runs them
// against D1. Memory outlives a session reset, is unseen by agents whose tools do not open
// `group:memory`, and with `memory.scope: user` each sender has their own.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { admin, createAgent, eventually, messagesOf, send } from '../helpers'
import { as, key } from '../security/helpers'

await createAgent(env.DB, 'keeper', { tools: { allow: ['group:memory'] } })
await createAgent(env.DB, 'plain', {})
await createAgent(env.DB, 'personal', {
	tools: { allow: ['group:memory'] },
	memory: { scope: 'user' },
})

const tool = (name: string, args: unknown) => `/tool ${name} ${JSON.stringify(args)}`

/** The JSON a tool returned in the session's last tool message. */
async function lastToolResult(session: string, agent: string): Promise<Record<string, unknown>> {
	const res = await admin(`/v1/sessions/${session}/messages?agent=${agent}&limit=500`)
	const { messages } = (await res.json()) as {
		messages: { role: string; content: { type: string; result?: string }[] }[]
	}
	const part = messages
		.filter((m) => m.role === 'tool')
		.at(-1)
		?.content.find((p) => p.type === 'tool-result')
	if (part?.result === undefined) throw new Error('no tool result')
	return JSON.parse(part.result) as Record<string, unknown>
}

async function ask(session: string, agent: string, content: string) {
	const { res, run } = await send(session, { agent, content, wait: true })
	expect(res.status).toBe(200)
	expect(run.status).toBe('succeeded')
	return run.output ?? ''
}

describe('memory tools in a turn', () => {
	it('write, search, get and forget, across sessions and a reset', async () => {
		const out = await ask(
			'mem-s1',
			'keeper',
			tool('memory_write', { text: 'Deploys happen on Tuesdays only', tags: ['ops'] }),
		)
		expect(out).toMatch(/^memory_write returned/)
		const written = await lastToolResult('mem-s1', 'keeper')
		expect(written).toMatchObject({ scope: 'agent', pinned: false, written: 'added' })
		const id = written.id as string

		// The session is reset: its transcript goes, the memory stays.
		const reset = await admin('/v1/sessions/mem-s1/reset?agent=keeper', { method: 'POST' })
		expect(reset.status).toBe(200)
		expect(await messagesOf('mem-s1', 'keeper')).toEqual([])

		expect(
			await ask('mem-s2', 'keeper', tool('memory_search', { query: 'when are deploys?' })),
		).toMatch(/^memory_search returned/)
		const found = await lastToolResult('mem-s2', 'keeper')
		expect(found).toMatchObject({
			mode: 'fulltext',
			results: [{ id, text: 'Deploys happen on Tuesdays only', tags: ['ops'] }],
		})

		await ask('mem-s1', 'keeper', tool('memory_get', { id }))
		expect(await lastToolResult('mem-s1', 'keeper')).toMatchObject({ id, scope: 'agent' })

		await ask('mem-s1', 'keeper', tool('memory_forget', { id }))
		expect(await lastToolResult('mem-s1', 'keeper')).toEqual({ id, forgotten: true })
		expect(await ask('mem-s1', 'keeper', tool('memory_get', { id }))).toMatch(
			/^memory_get failed .*No memory/,
		)
		expect(await ask('mem-s1', 'keeper', tool('memory_forget', { id }))).toMatch(
			/^memory_forget failed/,
		)

		// Lane tools, recorded like any other call.
		const rows = await eventually(async () => {
			const r = await admin('/v1/tool-executions?agent=keeper&session=mem-s1')
			const body = (await r.json()) as {
				executions: { tool: string; placement: string; code: string | null }[]
			}
			return body.executions.length >= 5 ? body.executions : undefined
		})
		expect(rows.every((r) => r.placement === 'lane')).toBe(true)
		expect(rows.find((r) => r.tool === 'memory_get' && r.code === 'memory_not_found')).toBeDefined()
	})

	it('refuses bad arguments with a clear tool error', async () => {
		expect(
			await ask('mem-bad', 'keeper', tool('memory_write', { text: 'x'.repeat(4_001) })),
		).toMatch(/^memory_write failed .*Invalid arguments/)
		expect(await ask('mem-bad', 'keeper', tool('memory_write', { text: '   ' }))).toMatch(
			/^memory_write failed/,
		)
	})

	it('is not offered to an agent whose tools do not open group:memory', async () => {
		expect(await ask('mem-plain', 'plain', tool('memory_write', { text: 'sneaky' }))).toBe(
			'echo: tool "memory_write" is not available',
		)
		const count = await env.DB.prepare(
			"SELECT count(*) AS n FROM memories WHERE agent_id = 'plain'",
		).first<{ n: number }>()
		expect(count?.n).toBe(0)
	})

	it('with scope user, keeps each sender’s memories apart and shares the agent’s', async () => {
		const alice = await key('default', 'member')
		const bob = await key('default', 'member')
		const say = async (secret: string, session: string, content: string) => {
			const res = await as(secret, `/v1/sessions/${session}/messages`, {
				method: 'POST',
				json: { agent: 'personal', content, wait: true },
			})
			expect(res.status).toBe(200)
			return ((await res.json()) as { output: string }).output
		}
		await say(alice.secret, 'mem-alice', tool('memory_write', { text: 'alice likes oolong' }))
		const mine = await lastToolResult('mem-alice', 'personal')
		expect(mine).toMatchObject({ scope: 'user' })

		// Shared memory of the agent (written through the API) is seen by both.
		const shared = await admin('/v1/agents/personal/memory', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ text: 'the office serves oolong on Fridays' }),
		})
		expect(shared.status).toBe(201)
		const sharedId = ((await shared.json()) as { id: string }).id

		await say(bob.secret, 'mem-bob', tool('memory_search', { query: 'oolong' }))
		const bobs = (await lastToolResult('mem-bob', 'personal')) as { results: { id: string }[] }
		expect(bobs.results.map((r) => r.id)).toEqual([sharedId])
		expect(await say(bob.secret, 'mem-bob', tool('memory_get', { id: mine.id }))).toMatch(
			/^memory_get failed/,
		)
		// Bob cannot forget the shared memory either: a user-scoped run forgets only its own.
		expect(await say(bob.secret, 'mem-bob', tool('memory_forget', { id: sharedId }))).toMatch(
			/^memory_forget failed/,
		)

		await say(alice.secret, 'mem-alice', tool('memory_search', { query: 'oolong' }))
		const alices = (await lastToolResult('mem-alice', 'personal')) as { results: { id: string }[] }
		expect(alices.results.map((r) => r.id).sort()).toEqual([mine.id, sharedId].sort())

		const row = await env.DB.prepare('SELECT user_key, source_session FROM memories WHERE id = ?')
			.bind(mine.id)
			.first<{ user_key: string; source_session: string }>()
		expect(row).toEqual({ user_key: `key:${alice.id}`, source_session: 'mem-alice' })
	})
})
