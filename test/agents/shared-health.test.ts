// A scope's provider health is shared across the lanes of an isolate and across isolates: a key cooled by
// one session's failure is skipped by another session's turn, and an admin's re-enable reaches
// every lane once the 2 s snapshot expires. (A stub made by one Durable Object cannot be used by
// another in the same isolate; the shared view makes a fresh stub per call.)
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createAgent, postJson, send } from '../helpers'

describe('shared provider health', () => {
	it('cools a key for every lane, and re-enabling it reaches every lane', async () => {
		await createAgent(env.DB, 'flaky', {})
		const first = await send('health-1', { agent: 'flaky', content: '/fail 429', wait: true })
		expect(first.run.error?.code).toBe('models_exhausted')
		const second = await send('health-2', { agent: 'flaky', content: 'hello', wait: true })
		expect(second.run.status).toBe('failed')
		expect(second.run.error?.message).toContain('no usable auth profile')
		// The offline model needs no key: its health is the tenant's own.
		const enable = { key: 'offline||-', scope: 'default' }
		expect((await postJson('/v1/admin/providers/enable', enable)).status).toBe(200)
		// Another lane, after the snapshot's 2 s: it must read the object again, through its own stub.
		await new Promise((r) => setTimeout(r, 2_100))
		const third = await send('health-3', { agent: 'flaky', content: 'hello again', wait: true })
		expect(third.run.output).toBe('echo: hello again')
	})
})

describe('shared provider health under concurrency', () => {
	it('lanes that find the snapshot stale at the same moment each finish their own turn', async () => {
		// Turns that start together after the 2 s snapshot expires all ask for a fresh one. Sharing
		// one lane's in-flight read with the others would run their continuations — and their
		// storage writes — in that lane's I/O context, which workerd refuses.
		for (let round = 0; round < 2; round++) {
			await new Promise((r) => setTimeout(r, 2_100))
			const turns = await Promise.all(
				Array.from({ length: 24 }, (_, i) =>
					send(`herd-${round}-${i}`, { content: `hello ${i}`, wait: true }),
				),
			)
			const failed = turns.filter((t) => t.run.status !== 'succeeded')
			expect(failed.map((t) => t.run.error?.message)).toEqual([])
		}
	})
})
