// Never stuck, never silent: a lane that is evicted or aborted mid-run resumes the run on its next
// activation (or fails it visibly), emits an error event, and keeps serving.
import {
	abortAllDurableObjects,
	env,
	evictDurableObject,
	runDurableObjectAlarm,
} from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneName } from '../../src/lanes/name'
import { getRun, messagesOf, send, waitForRun } from '../helpers'

const stubOf = (sessionKey: string) =>
	env.SESSION_LANE.getByName(laneName({ tenantId: 'default', agentId: 'main', sessionKey }))

async function eventsOf(
	sessionKey: string,
): Promise<{ type: string; runId: string | null; data: Record<string, unknown> }[]> {
	const stub = stubOf(sessionKey)
	const res = await stub.fetch('https://lane/events?after=0')
	const reader = res.body?.getReader()
	const decoder = new TextDecoder()
	let raw = ''
	// The replay is written first, in one piece; read until it is complete.
	while (reader) {
		const { value, done } = await reader.read()
		if (done) break
		raw += decoder.decode(value)
		if (raw.endsWith('\n\n') && !raw.endsWith('retry: 2000\n\n')) break
	}
	await reader?.cancel()
	return raw
		.split('\n\n')
		.filter((f) => f.includes('data: '))
		.map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)))
}

// `/slow 2000` keeps a run running long enough for the test to cut it off mid-run, even on a
// loaded machine.
describe('recovery', () => {
	// Graceful eviction waits for the lane's pending work, including its next index write (≤ 5 s).
	it('drains gracefully on eviction: the run in flight finishes, nothing is lost', async () => {
		const slow = await send('evict-1', { content: '/slow 300 survive' })
		const queued = await send('evict-1', { content: 'queued' })
		await waitForRun('evict-1', slow.run.runId, (r) => r.status === 'running')
		await evictDurableObject(stubOf('evict-1'))
		expect(await getRun('evict-1', slow.run.runId)).toMatchObject({
			status: 'succeeded',
			output: 'echo: survive',
		})
		// The queued message survives the eviction; the heartbeat alarm (run now) picks it up.
		await runDurableObjectAlarm(stubOf('evict-1'))
		expect((await waitForRun('evict-1', queued.run.runId)).output).toBe('echo: queued')
	})

	it('resumes a run cut off by a hard reset, with an error event, and the next message still runs', async () => {
		const slow = await send('crash-1', { content: '/slow 2000 survive' })
		await waitForRun('crash-1', slow.run.runId, (r) => r.status === 'running')
		await abortAllDurableObjects()
		const done = await waitForRun('crash-1', slow.run.runId)
		expect(done).toMatchObject({ status: 'succeeded', output: 'echo: survive', attempt: 2 })
		const errors = (await eventsOf('crash-1')).filter((e) => e.type === 'error')
		expect(errors).toEqual([
			expect.objectContaining({
				runId: slow.run.runId,
				data: expect.objectContaining({ code: 'lane_restarted', retrying: true }),
			}),
		])
		const next = await send('crash-1', { content: 'next', wait: true })
		expect(next.run.output).toBe('echo: next')
		// The cut-off attempt left no half-written transcript behind.
		expect((await messagesOf('crash-1')).map((m) => m.text)).toEqual([
			'/slow 2000 survive',
			'echo: survive',
			'next',
			'echo: next',
		])
	})

	it('recovers after every object is aborted, on the next request', async () => {
		const slow = await send('abort-1', { content: '/slow 2000 again' })
		const queued = await send('abort-1', { content: 'behind it' })
		await waitForRun('abort-1', slow.run.runId, (r) => r.status === 'running')
		await abortAllDurableObjects()
		// Any request wakes the lane; recovery runs before it is served.
		const done = await waitForRun('abort-1', slow.run.runId)
		expect(done).toMatchObject({ status: 'succeeded', attempt: 2 })
		expect((await waitForRun('abort-1', queued.run.runId)).output).toBe('echo: behind it')
	})

	it('fails a run visibly once it has used its attempts, and moves on', async () => {
		const slow = await send('crash-2', { content: '/slow 2000 doomed' })
		const queued = await send('crash-2', { content: 'survivor' })
		for (let attempt = 1; attempt <= 2; attempt++) {
			await waitForRun(
				'crash-2',
				slow.run.runId,
				(r) => r.status === 'running' && r.attempt === attempt,
			)
			await abortAllDurableObjects()
		}
		const failed = await waitForRun('crash-2', slow.run.runId)
		expect(failed).toMatchObject({ status: 'failed', error: { code: 'lane_restarted' } })
		expect((await waitForRun('crash-2', queued.run.runId)).output).toBe('echo: survivor')
		const errors = (await eventsOf('crash-2')).filter((e) => e.type === 'error')
		expect(errors.map((e) => e.data.retrying)).toEqual([true, false])
	})

	it('keeps queued messages across a restart and runs them in order', async () => {
		const slow = await send('crash-3', { content: '/slow 300 head' })
		const tail = []
		for (let i = 0; i < 5; i++) tail.push(await send('crash-3', { content: `t${i}` }))
		await waitForRun('crash-3', slow.run.runId, (r) => r.status === 'running')
		await abortAllDurableObjects()
		for (const t of tail) await waitForRun('crash-3', t.run.runId)
		const texts = (await messagesOf('crash-3')).filter((m) => m.role === 'user').map((m) => m.text)
		expect(texts).toEqual(['/slow 300 head', 't0', 't1', 't2', 't3', 't4'])
	})
})
