// Queue modes (followup, collect, steer, interrupt) and run deadlines.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAgent, getRun, messagesOf, send, waitForRun } from '../helpers'
import { STATE_WAIT_MS } from '../timeouts'

beforeAll(async () => {
	// Short enough to wait out, long enough for a steer to reach the run before it dies.
	await createAgent(env.DB, 'quick', { limits: { runDeadlineMs: 3_000 } })
})

// `/slow 2000` holds a run long enough for the messages a test sends next to reach it while it
// runs, even on a loaded machine; runs a test cancels hold for a minute.
const running = (key: string, runId: string, agent = 'main') =>
	waitForRun(key, runId, (r) => r.status === 'running', { agent })

describe('collect', () => {
	it('batches messages that arrive during a run into the next turn', async () => {
		const first = await send('collect-1', { content: '/slow 2000 first', mode: 'collect' })
		await running('collect-1', first.run.runId)
		const a = await send('collect-1', { content: 'a', mode: 'collect' })
		const b = await send('collect-1', { content: 'b', mode: 'collect' })
		const c = await send('collect-1', { content: 'c', mode: 'collect' })
		expect(a.run.disposition).toBe('queued')
		expect(b.run).toMatchObject({ runId: a.run.runId, disposition: 'collected' })
		expect(c.run).toMatchObject({ runId: a.run.runId, disposition: 'collected' })
		const batch = await waitForRun('collect-1', a.run.runId)
		expect(batch.output).toBe('echo: a\nb\nc')
		expect((await messagesOf('collect-1')).map((m) => m.text)).toEqual([
			'/slow 2000 first',
			'echo: first',
			'a',
			'b',
			'c',
			'echo: a\nb\nc',
		])
	})

	it('runs at once when the lane is idle', async () => {
		const { run } = await send('collect-2', { content: 'alone', mode: 'collect', wait: true })
		expect(run.output).toBe('echo: alone')
	})
})

describe('steer', () => {
	it('injects into the active run at its next step', async () => {
		const first = await send('steer-1', { content: '/slow 2000 working' })
		await running('steer-1', first.run.runId)
		const steer = await send('steer-1', { content: 'also mention cats', mode: 'steer' })
		expect(steer.run).toMatchObject({ runId: first.run.runId, disposition: 'steered' })
		const done = await waitForRun('steer-1', first.run.runId)
		// The run answers, takes the steer at its next step and answers that too.
		expect(done.output).toBe('echo: also mention cats')
		expect((await messagesOf('steer-1')).map((m) => m.text)).toEqual([
			'/slow 2000 working',
			'echo: working',
			'also mention cats',
			'echo: also mention cats',
		])
	})

	it('becomes a normal turn when nothing is running', async () => {
		const { run } = await send('steer-2', { content: 'no run', mode: 'steer', wait: true })
		expect(run).toMatchObject({ disposition: 'queued', output: 'echo: no run' })
	})

	it('never drops a steer the run did not take: it becomes the next turn', async () => {
		// The run dies at its deadline before it reaches a step that takes steers.
		const first = await send('steer-3', { agent: 'quick', content: '/slow 60000 stuck' })
		await running('steer-3', first.run.runId, 'quick')
		const steer = await send('steer-3', { agent: 'quick', content: 'late steer', mode: 'steer' })
		expect(steer.run.disposition).toBe('steered')
		const failed = await waitForRun('steer-3', first.run.runId, undefined, { agent: 'quick' })
		expect(failed.error?.code).toBe('deadline_exceeded')
		await eventuallyText('steer-3', 'echo: late steer', 'quick')
		expect((await messagesOf('steer-3', 'quick')).map((m) => m.text)).toEqual([
			'/slow 60000 stuck',
			'late steer',
			'echo: late steer',
		])
	})
})

describe('interrupt', () => {
	it('cancels the active run and runs the new message next, ahead of the queue', async () => {
		const slow = await send('int-1', { content: '/slow 60000 long job' })
		await running('int-1', slow.run.runId)
		const queued = await send('int-1', { content: 'queued before' })
		const urgent = await send('int-1', { content: 'urgent', mode: 'interrupt' })
		const done = await waitForRun('int-1', urgent.run.runId)
		expect(done.output).toBe('echo: urgent')
		expect((await getRun('int-1', slow.run.runId)).status).toBe('cancelled')
		const after = await waitForRun('int-1', queued.run.runId)
		expect(after.status).toBe('succeeded')
		expect(after.startedAt as number).toBeGreaterThanOrEqual(done.finishedAt as number)
		expect((await messagesOf('int-1')).map((m) => m.text)).toEqual([
			'/slow 60000 long job',
			'urgent',
			'echo: urgent',
			'queued before',
			'echo: queued before',
		])
	})
})

describe('deadlines', () => {
	it('fails a run that passes its deadline, with an error, and the lane moves on', async () => {
		const slow = await send('dl-1', { agent: 'quick', content: '/slow 60000 never' })
		const next = await send('dl-1', { agent: 'quick', content: 'after the deadline' })
		const failed = await waitForRun('dl-1', slow.run.runId, undefined, { agent: 'quick' })
		expect(failed).toMatchObject({ status: 'failed', error: { code: 'deadline_exceeded' } })
		expect((failed.finishedAt as number) - (failed.startedAt as number)).toBeGreaterThanOrEqual(
			3_000,
		)
		const ok = await waitForRun('dl-1', next.run.runId, undefined, { agent: 'quick' })
		expect(ok.output).toBe('echo: after the deadline')
	})
})

async function eventuallyText(key: string, text: string, agent = 'main'): Promise<void> {
	const deadline = Date.now() + STATE_WAIT_MS
	while (!(await messagesOf(key, agent)).some((m) => m.text === text)) {
		if (Date.now() > deadline) throw new Error(`"${text}" never appeared in ${key}`)
		await new Promise((r) => setTimeout(r, 25))
	}
}
