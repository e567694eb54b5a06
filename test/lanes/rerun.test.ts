// A run cut off mid-turn (its object restarted) is run again from its input: the steps its cut-off
// attempt committed leave the transcript, so the second attempt's model never sees them twice. And
// a reset that stops the active run starts nothing queued behind it while it waits for the stop.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { AgentRunner } from '../../src/agents/runner'
import { agentRuntime } from '../../src/agents/runtime'
import type { MessageView } from '../../src/lanes/types'
import { laneOver } from '../fakes/lane-host'
import { silentLogger } from '../fakes/logs'
import { STATE_WAIT_MS } from '../timeouts'
import { objectOf } from './outbox-setup'

/** Commits one step, then never answers (the object dies under it). */
const cutOffAfterAStep: AgentRunner = {
	runTurn: async (_input, io) => {
		io.commit([{ role: 'assistant', content: [{ type: 'text', text: 'half-done step' }] }])
		return new Promise(() => {})
	},
	summarize: async () => '',
}

/** The transcript's text parts, in order. */
const texts = (messages: readonly MessageView[]) =>
	messages.flatMap((m) => m.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])))

describe('a run started over', () => {
	it('drops the steps its cut-off attempt wrote', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const first = laneOver(state, undefined, { runner: cutOffAfterAStep })
			const submitted = first.lane.submit(first.request('again'))
			if (!submitted.ok) throw new Error(submitted.error.message)
			const { runId } = submitted.value.run
			await expect.poll(() => texts(first.store.transcript.active())).toContain('half-done step')

			// What a restarted object does: a new lane over the same storage recovers the run.
			const second = laneOver(state, undefined, { runner: agentRuntime(env, silentLogger()) })
			second.lane.recover()
			// The restarted object's alarm (due at once) starts it again.
			await second.lane.alarm()
			const run = await second.lane.wait(runId, STATE_WAIT_MS)
			expect(run).toMatchObject({ status: 'succeeded', attempt: 2, output: 'echo: again' })
			expect(texts(second.store.transcript.active())).toEqual(['again', 'echo: again'])
		})
	})
})

/** The first turn waits for its stop and gives up a little later (as a model stream does); the rest answer. */
function stopsLate(): AgentRunner {
	const real = agentRuntime(env, silentLogger())
	let turns = 0
	return {
		runTurn: (input, io) =>
			turns++ === 0
				? new Promise((_resolve, reject) => {
						input.signal.addEventListener('abort', () =>
							setTimeout(() => reject(new DOMException('stopped', 'AbortError')), 5),
						)
					})
				: real.runTurn(input, io),
		summarize: (messages, signal, agent) => real.summarize(messages, signal, agent),
	}
}

describe('a reset while a run is active', () => {
	it('starts nothing queued behind it while it stops: the queued run is cancelled by the reset', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined, { runner: stopsLate() })
			const first = h.lane.submit(h.request('long'))
			const queued = h.lane.submit(h.request('behind'))
			if (!first.ok || !queued.ok) throw new Error('submit failed')
			const queuedId = queued.value.run.runId
			await expect.poll(() => h.store.runs.get(first.value.run.runId)?.status).toBe('running')

			expect((await h.lane.reset()).ok).toBe(true)
			const of = (type: string) => h.events.filter((e) => e.type === type).map((e) => e.runId)
			expect(of('cancelled')).toContain(queuedId)
			expect(of('started')).not.toContain(queuedId)
			expect(h.store.transcript.active()).toEqual([])
			// The lane goes on with what comes after the reset.
			const after = h.lane.submit(h.request('after'))
			if (!after.ok) throw new Error(after.error.message)
			const run = await h.lane.wait(after.value.run.runId, STATE_WAIT_MS)
			expect(run).toMatchObject({ status: 'succeeded', output: 'echo: after' })
			expect(texts(h.store.transcript.active())).toEqual(['after', 'echo: after'])
		})
	})
})
