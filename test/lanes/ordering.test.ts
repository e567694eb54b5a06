// Strict FIFO: many concurrent messages to one session are each processed exactly once, one run
// at a time, in the order the lane took them.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneName } from '../../src/lanes/name'
import { messagesOf, send, waitForRun } from '../helpers'

describe('one session under concurrent load', () => {
	// Bounded by state, not speed: on a loaded 2-core machine 200 turns take well past the default 5 s.
	it('processes 200 concurrent messages exactly once each, in order', {
		timeout: 120_000,
	}, async () => {
		const n = 200
		const results = await Promise.all(
			Array.from({ length: n }, (_, i) => send('fifo', { content: `m${i}` })),
		)
		expect(results.every((r) => r.res.status === 202)).toBe(true)
		const runIds = results.map((r) => r.run.runId)
		expect(new Set(runIds).size).toBe(n)
		for (const id of runIds) await waitForRun('fifo', id)

		const transcript = await messagesOf('fifo')
		expect(transcript).toHaveLength(2 * n)
		// Every user message is followed by its own reply: one run at a time, nothing interleaved.
		for (let i = 0; i < transcript.length; i += 2) {
			const user = transcript[i]
			const reply = transcript[i + 1]
			expect(user?.role).toBe('user')
			expect(reply?.role).toBe('assistant')
			expect(reply?.text).toBe(`echo: ${user?.text}`)
			expect(reply?.runId).toBe(user?.runId)
		}
		// Exactly once each.
		const texts = transcript.filter((m) => m.role === 'user').map((m) => m.text)
		expect(new Set(texts).size).toBe(n)
		expect([...texts].sort()).toEqual(Array.from({ length: n }, (_, i) => `m${i}`).sort())

		// Runs started in the order they were queued (arrival order at the lane).
		const events = await env.SESSION_LANE.getByName(
			laneName({ tenantId: 'default', agentId: 'main', sessionKey: 'fifo' }),
		).fetch('https://lane/events?after=0')
		const reader = events.body?.getReader()
		let raw = ''
		const decoder = new TextDecoder()
		while (reader && (raw.match(/event: final/g)?.length ?? 0) < n) {
			const { value } = await reader.read()
			raw += decoder.decode(value)
		}
		await reader?.cancel()
		const frames = raw
			.split('\n\n')
			.filter((f) => f.includes('data: '))
			.map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)) as { type: string; runId: string })
		const queuedOrder = frames.filter((e) => e.type === 'queued').map((e) => e.runId)
		const startedOrder = frames.filter((e) => e.type === 'started').map((e) => e.runId)
		expect(startedOrder).toEqual(queuedOrder)
		// Never two runs at once: each start follows the previous run's final.
		let open: string | undefined
		for (const e of frames) {
			if (e.type === 'started') {
				expect(open).toBeUndefined()
				open = e.runId
			}
			if (e.type === 'final') {
				expect(open).toBe(e.runId)
				open = undefined
			}
		}
	})
})
