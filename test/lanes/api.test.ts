// The sessions HTTP surface: happy paths and every bad input the issue names.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RunView } from '../../src/lanes/types'
import {
	admin,
	createAgent,
	eventually,
	getRun,
	messagesOf,
	postJson,
	problem,
	send,
	waitForRun,
} from '../helpers'

beforeAll(async () => {
	await createAgent(env.DB, 'tiny', { limits: { queueCap: 3 } })
})

describe('submitting messages', () => {
	it('queues a turn (202) and runs it to a reply', async () => {
		const { res, run } = await send('async-1', { content: 'hi there' })
		expect(res.status).toBe(202)
		expect(run).toMatchObject({ disposition: 'queued', duplicate: false })
		const done = await waitForRun('async-1', run.runId)
		expect(done).toMatchObject({ status: 'succeeded', output: 'echo: hi there', attempt: 1 })
		expect(await messagesOf('async-1')).toEqual([
			{ role: 'user', text: 'hi there', runId: run.runId, kind: 'message', compacted: false },
			{
				role: 'assistant',
				text: 'echo: hi there',
				runId: run.runId,
				kind: 'message',
				compacted: false,
			},
		])
	})

	it('waits for the final result with wait: true (200) and reports usage', async () => {
		const { res, run } = await send('wait-1', { content: 'x'.repeat(40), wait: true })
		expect(res.status).toBe(200)
		expect(run.status).toBe('succeeded')
		// Output is the 12-token reply; input counts the whole prompt (system prompt included).
		const usage = run.usage as { inputTokens: number; outputTokens: number }
		expect(usage.outputTokens).toBe(12)
		expect(usage.inputTokens).toBeGreaterThan(10)
		const full = (await getRun('wait-1', run.runId)) as unknown as RunView
		expect(full.calls).toEqual([
			expect.objectContaining({ model: 'offline:echo', outcome: 'ok', outputTokens: 12 }),
		])
		expect(full.calls[0]?.inputTokens).toBe(usage.inputTokens)
	})

	it('answers 202 when the wait times out, and the run finishes later', async () => {
		const { res, run } = await send('wait-2', {
			content: '/slow 300 late',
			wait: true,
			waitTimeoutMs: 20,
		})
		expect(res.status).toBe(202)
		expect(['queued', 'running']).toContain(run.status)
		expect((await waitForRun('wait-2', run.runId)).output).toBe('echo: late')
	})

	it('accepts content as text parts', async () => {
		const { run } = await send('parts-1', {
			content: [
				{ type: 'text', text: 'a' },
				{ type: 'text', text: 'b' },
			],
			wait: true,
		})
		expect(run.output).toBe('echo: ab')
	})

	it('reports a failing model as a failed run with a clear error, and the lane moves on', async () => {
		// 400 is not worth a retry: the only model fails at once, with the provider's status.
		const { run } = await send('fail-1', { content: '/fail 400', wait: true })
		expect(run).toMatchObject({ status: 'failed', error: { code: 'models_exhausted' } })
		expect(run.error?.message).toContain('offline:echo: request 400')
		const next = await send('fail-1', { content: 'still here', wait: true })
		expect(next.run.output).toBe('echo: still here')
	})
})

describe('bad input', () => {
	const bad = async (path: string, body: unknown) => {
		const res = await postJson(path, body)
		expect(res.status).toBe(400)
		return problem(res)
	}

	it('rejects an invalid mode', async () => {
		const p = await bad('/v1/sessions/b1/messages', { content: 'x', mode: 'shout' })
		expect(p.code).toBe('validation_failed')
		expect((p.errors as { path: string }[])[0]?.path).toBe('mode')
	})

	it('rejects empty, blank and oversized content', async () => {
		expect((await bad('/v1/sessions/b1/messages', { content: '' })).code).toBe('validation_failed')
		expect((await bad('/v1/sessions/b1/messages', { content: '   \n' })).code).toBe(
			'validation_failed',
		)
		expect((await bad('/v1/sessions/b1/messages', { content: [] })).code).toBe('validation_failed')
		expect((await bad('/v1/sessions/b1/messages', { content: 'x'.repeat(100_001) })).code).toBe(
			'validation_failed',
		)
		expect((await bad('/v1/sessions/b1/messages', {})).code).toBe('validation_failed')
	})

	it('rejects bad idempotency keys', async () => {
		for (const key of ['', 'has space', 'x'.repeat(129), 'ünïcode', 42]) {
			expect(
				(await bad('/v1/sessions/b1/messages', { content: 'x', idempotencyKey: key })).code,
			).toBe('validation_failed')
		}
	})

	it('rejects invalid session keys and unknown agents', async () => {
		expect((await postJson('/v1/sessions/-bad/messages', { content: 'x' })).status).toBe(400)
		expect(
			(await postJson(`/v1/sessions/${'k'.repeat(257)}/messages`, { content: 'x' })).status,
		).toBe(400)
		expect((await postJson('/v1/sessions/a%2Fb/messages', { content: 'x' })).status).toBe(400)
		const ghost = await postJson('/v1/sessions/b1/messages', { content: 'x', agent: 'ghost' })
		expect(ghost.status).toBe(404)
		expect((await problem(ghost)).detail).toContain('ghost')
	})

	it('404s unknown sessions and runs on every read and write', async () => {
		for (const [method, path] of [
			['GET', '/v1/sessions/never'],
			['GET', '/v1/sessions/never/messages'],
			['GET', '/v1/sessions/never/runs/abc'],
			['POST', '/v1/sessions/never/runs/abc/cancel'],
			['POST', '/v1/sessions/never/reset'],
			['DELETE', '/v1/sessions/never'],
			['GET', '/v1/sessions/never/export'],
			// (its event stream opens: a client may subscribe before the first message)
		] as const) {
			const res = await admin(path, { method })
			expect(res.status, `${method} ${path}`).toBe(404)
			expect((await problem(res)).code).toBe('not_found')
		}
		await send('known', { content: 'x', wait: true })
		const run = await admin('/v1/sessions/known/runs/no-such-run')
		expect(run.status).toBe(404)
	})

	it('says 429 queue_full with Retry-After beyond the queue cap, and keeps what it took', async () => {
		// The first run holds the lane until the test cancels it, however long the sends take.
		const first = await send('full-1', { agent: 'tiny', content: '/slow 60000 running' })
		await waitForRun('full-1', first.run.runId, (r) => r.status === 'running', { agent: 'tiny' })
		const queued = []
		for (let i = 0; i < 3; i++)
			queued.push(await send('full-1', { agent: 'tiny', content: `q${i}` }))
		expect(queued.map((q) => q.res.status)).toEqual([202, 202, 202])
		const over = await postJson('/v1/sessions/full-1/messages', {
			agent: 'tiny',
			content: 'one too many',
		})
		expect(over.status).toBe(429)
		expect(over.headers.get('retry-after')).toBe('5')
		expect((await problem(over)).code).toBe('queue_full')
		const cancel = `/v1/sessions/full-1/runs/${first.run.runId}/cancel?agent=tiny`
		expect((await admin(cancel, { method: 'POST' })).status).toBe(200)
		for (const q of queued)
			expect((await waitForRun('full-1', q.run.runId, undefined, { agent: 'tiny' })).status).toBe(
				'succeeded',
			)
	})
})

describe('idempotency', () => {
	it('returns the original run for a repeated key and never runs twice', async () => {
		const a = await send('idem-1', { content: 'once', idempotencyKey: 'k-1', wait: true })
		const b = await send('idem-1', { content: 'once', idempotencyKey: 'k-1', wait: true })
		expect(b.run).toMatchObject({
			runId: a.run.runId,
			duplicate: true,
			status: 'succeeded',
			output: 'echo: once',
		})
		expect((await messagesOf('idem-1')).length).toBe(2)
	})

	it('starts one run for concurrent submits with one key', async () => {
		const results = await Promise.all(
			Array.from({ length: 10 }, () => send('idem-2', { content: 'same', idempotencyKey: 'k-2' })),
		)
		const ids = new Set(results.map((r) => r.run.runId))
		expect(ids.size).toBe(1)
		expect(results.filter((r) => !r.run.duplicate)).toHaveLength(1)
		await waitForRun('idem-2', [...ids][0] as string)
		expect((await messagesOf('idem-2')).map((m) => m.role)).toEqual(['user', 'assistant'])
	})
})

describe('lifecycle', () => {
	// The index is written at once when a session is created, then at most every 5 s.
	it('reads the session and lists it from the index', async () => {
		await send('life-1', { content: 'one', wait: true })
		const info = (await (await admin('/v1/sessions/life-1')).json()) as Record<string, unknown>
		expect(info).toMatchObject({
			sessionKey: 'life-1',
			agent: 'main',
			runs: { total: 1, queued: 0, running: 0 },
		})
		expect((info.messages as { active: number }).active).toBe(2)
		const list = await eventually(async () => {
			const body = (await (await admin('/v1/sessions?limit=200')).json()) as {
				sessions: { sessionKey: string; lastRunStatus: string | null; messageCount: number }[]
			}
			const row = body.sessions.find((s) => s.sessionKey === 'life-1')
			return row?.lastRunStatus === 'succeeded' ? row : undefined
		})
		expect(list.messageCount).toBe(2)
	})

	it('pages the session list with a cursor', async () => {
		for (const k of ['page-a', 'page-b', 'page-c']) await send(k, { content: 'x', wait: true })
		const seen: string[] = []
		let cursor: string | null = null
		do {
			const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
			const body = (await (await admin(`/v1/sessions?limit=2${q}`)).json()) as {
				sessions: { sessionKey: string }[]
				nextCursor: string | null
			}
			seen.push(...body.sessions.map((s) => s.sessionKey))
			cursor = body.nextCursor
		} while (cursor)
		expect(new Set(seen).size).toBe(seen.length)
		expect(seen).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']))
		const bad = await admin('/v1/sessions?cursor=not-a-cursor')
		expect(bad.status).toBe(400)
	})

	it('resets to an empty transcript under the same id', async () => {
		await send('reset-1', { content: 'before', wait: true })
		const res = await admin('/v1/sessions/reset-1/reset', { method: 'POST' })
		expect(res.status).toBe(200)
		expect(await messagesOf('reset-1')).toEqual([])
		const after = await send('reset-1', { content: 'after', wait: true })
		expect(after.run.output).toBe('echo: after')
		expect((await messagesOf('reset-1')).map((m) => m.text)).toEqual(['after', 'echo: after'])
	})

	it('deletes the session, its index row and its storage', async () => {
		await send('del-1', { content: 'bye', wait: true })
		const res = await admin('/v1/sessions/del-1', { method: 'DELETE' })
		expect(res.status).toBe(204)
		expect((await admin('/v1/sessions/del-1')).status).toBe(404)
		const row = await env.DB.prepare(
			"SELECT count(*) AS n FROM sessions WHERE session_key = 'del-1'",
		).first<{ n: number }>()
		expect(row?.n).toBe(0)
		// A new message starts a brand-new session.
		const again = await send('del-1', { content: 'hello again', wait: true })
		expect((await messagesOf('del-1')).map((m) => m.text)).toEqual([
			'hello again',
			'echo: hello again',
		])
		expect(again.run.status).toBe('succeeded')
	})

	it('exports JSON Lines with the session, messages and runs', async () => {
		const { run } = await send('exp-1', { content: 'keep me', wait: true })
		const res = await admin('/v1/sessions/exp-1/export')
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toContain('application/x-ndjson')
		const lines = (await res.text())
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l) as { type: string; [k: string]: unknown })
		expect(lines.map((l) => l.type)).toEqual(['session', 'message', 'message', 'run'])
		expect(lines[3]).toMatchObject({ runId: run.runId, status: 'succeeded' })
	})

	it('cancels a queued run (it never runs) and a running one (the lane moves on)', async () => {
		const slow = await send('cancel-1', { content: '/slow 60000 long' })
		const queued = await send('cancel-1', { content: 'queued' })
		await waitForRun('cancel-1', slow.run.runId, (r) => r.status === 'running')
		const q = await admin(`/v1/sessions/cancel-1/runs/${queued.run.runId}/cancel`, {
			method: 'POST',
		})
		expect(((await q.json()) as { status: string }).status).toBe('cancelled')
		const r = await admin(`/v1/sessions/cancel-1/runs/${slow.run.runId}/cancel`, { method: 'POST' })
		expect(((await r.json()) as { status: string }).status).toBe('cancelled')
		const again = await admin(`/v1/sessions/cancel-1/runs/${slow.run.runId}/cancel`, {
			method: 'POST',
		})
		expect(again.status).toBe(409)
		const next = await send('cancel-1', { content: 'next', wait: true })
		expect(next.run.output).toBe('echo: next')
		expect((await getRun('cancel-1', queued.run.runId)).status).toBe('cancelled')
		expect((await messagesOf('cancel-1')).map((m) => m.text)).not.toContain('queued')
	})
})
