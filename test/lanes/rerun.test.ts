// A run cut off mid-turn (its object restarted) is run again from its input: the steps its cut-off
// attempt committed leave the transcript, so the second attempt's model never sees them twice.
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
