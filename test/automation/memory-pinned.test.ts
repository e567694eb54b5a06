// Pinned memory reaches the system prompt: the lane asks its toolbox for the pinned block of the
// run's agent (only when the turn's tools include a memory tool), cut to `memory.pinnedTokens`;
// a memory pinned by a tool call is in the next turn's prompt; the loop puts the block right
// after the agent's instructions.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { systemPrompt } from '../../src/agents/loop'
import type { AgentRunner, TurnInput } from '../../src/agents/runner'
import { agentRuntime } from '../../src/agents/runtime'
import { agentOf, type LaneHarness, laneOver } from '../fakes/lane-host'
import { silentLogger } from '../fakes/logs'
import { admin } from '../helpers'
import { objectOf } from '../lanes/outbox-setup'
import { STATE_WAIT_MS } from '../timeouts'

/** The real offline runtime, keeping every turn's input. */
function recording(): AgentRunner & { inputs: TurnInput[] } {
	const real = agentRuntime(env, silentLogger())
	const inputs: TurnInput[] = []
	return {
		inputs,
		runTurn: (input, io) => {
			inputs.push(input)
			return real.runTurn(input, io)
		},
		summarize: (messages, signal, agent) => real.summarize(messages, signal, agent),
	}
}

async function turn(h: LaneHarness, text: string, agent: ReturnType<typeof agentOf>) {
	const submitted = h.lane.submit(h.request(text, undefined, { agent }))
	if (!submitted.ok) throw new Error(submitted.error.message)
	return h.lane.wait(submitted.value.run.runId, STATE_WAIT_MS)
}

async function pin(text: string): Promise<string> {
	const res = await admin('/v1/agents/main/memory', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ text, pinned: true }),
	})
	expect(res.status).toBe(201)
	return ((await res.json()) as { id: string }).id
}

const REMEMBERS = agentOf({ tools: { allow: ['group:memory'] }, memory: { pinnedTokens: 1_000 } })

describe('pinned memory in the system prompt', () => {
	it('is given to the turn, newest first, and a tool-pinned memory joins from the next turn', async () => {
		await pin('The team is called Kestrel.')
		await pin('Answer in British English.')
		await runInDurableObject(objectOf(), async (_i, state) => {
			const runner = recording()
			const h = laneOver(state, undefined, { runner })
			await turn(h, 'hello', REMEMBERS)
			const first = runner.inputs[0]?.memory ?? ''
			expect(first).toContain('<pinned_memory>')
			expect(first.indexOf('British English')).toBeLessThan(first.indexOf('Kestrel'))

			const run = await turn(
				h,
				'/tool memory_write {"text":"The deadline is 3 March.","pinned":true}',
				REMEMBERS,
			)
			expect(run?.output).toMatch(/^memory_write returned/)
			await turn(h, 'and now?', REMEMBERS)
			expect(runner.inputs.at(-1)?.memory).toContain('The deadline is 3 March.')
		})
	})

	it('keeps to the budget: whole entries, the most recent first', async () => {
		await pin(`Older and long: ${'x'.repeat(300)}`)
		await pin('Newest short fact.')
		await runInDurableObject(objectOf(), async (_i, state) => {
			const runner = recording()
			const h = laneOver(state, undefined, { runner })
			await turn(
				h,
				'hi',
				agentOf({ tools: { allow: ['group:memory'] }, memory: { pinnedTokens: 60 } }),
			)
			const block = runner.inputs[0]?.memory ?? ''
			expect(block).toContain('Newest short fact.')
			expect(block).not.toContain('Older and long')
			expect(Math.ceil(block.length / 4)).toBeLessThanOrEqual(60)
		})
	})

	it('is absent without memory tools or with a budget of 0', async () => {
		await pin('Never shown to the plain agent.')
		await runInDurableObject(objectOf(), async (_i, state) => {
			const runner = recording()
			const h = laneOver(state, undefined, { runner })
			await turn(h, 'hi', agentOf({}))
			await turn(
				h,
				'hi',
				agentOf({ tools: { allow: ['group:memory'] }, memory: { pinnedTokens: 0 } }),
			)
			expect(runner.inputs.map((i) => i.memory)).toEqual([undefined, undefined])
		})
	})

	it('goes right after the instructions in the system prompt', () => {
		const block = '<pinned_memory>\n- fact\n</pinned_memory>'
		const prompt = systemPrompt('Be brief.', ['summary'], [], block)
		expect(prompt.startsWith(`Be brief.\n\n${block}\n\n<session_context>`)).toBe(true)
		expect(systemPrompt('Be brief.', [], [])).toBe('Be brief.')
	})
})
