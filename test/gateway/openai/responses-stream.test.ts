// The Responses event stream on its own, against a fake lane: keep-alives while idle, a lane
// restart before and after text was sent, a cancelled run, an output cap reached, and a replay.
import { describe, expect, it } from 'vitest'
import { AgentConfig } from '../../../src/agents/config'
import type { AgentSnapshot } from '../../../src/agents/runner'
import { storedEcho } from '../../../src/gateway/openai/responses-output'
import {
	type ResponseStreamOptions,
	responseStream,
} from '../../../src/gateway/openai/responses-stream'
import type { RunView } from '../../../src/lanes/types'
import { type Answer, ev, fakeLane } from '../../fakes/lane-events'
import { silentLogger } from '../../fakes/logs'

const agent = (config: Record<string, unknown> = {}): AgentSnapshot => ({
	tenantId: 't',
	id: 'main',
	version: 1,
	config: AgentConfig.parse({ model: { primary: 'offline:echo' }, ...config }),
})

const run: RunView = {
	runId: 'r1',
	status: 'queued',
	mode: 'followup',
	attempt: 0,
	waitingForSlot: false,
	createdAt: 1_700_000_000_500,
	startedAt: null,
	finishedAt: null,
	deadlineAt: null,
	output: null,
	model: null,
	usage: null,
	error: null,
	calls: [],
	pendingInput: 1,
	traceId: null,
}

const done: RunView = {
	...run,
	status: 'succeeded',
	finishedAt: 1_700_000_001_000,
	output: 'echo: hi',
	usage: { inputTokens: 10, outputTokens: 2 },
	calls: [{ model: 'offline:echo', inputTokens: 10, outputTokens: 2, latencyMs: 1, outcome: 'ok' }],
}

function setup(answers: Answer[], extra: Partial<ResponseStreamOptions> = {}) {
	const fake = fakeLane(answers)
	const body = responseStream({
		events: fake.lane,
		readRun: async () => done,
		run,
		after: 0,
		duplicate: false,
		ref: { agentId: 'main', sessionKey: 's1', runId: 'r1' },
		agent: agent(),
		echo: storedEcho('edgeclaw/main'),
		logger: silentLogger(),
		...extra,
	})
	return { ...fake, body }
}

/** The events' data, checking each `event:` line names its type and the numbering has no gap. */
async function events(body: ReadableStream<Uint8Array>): Promise<Record<string, unknown>[]> {
	const text = await new Response(body).text()
	const list = text
		.split('\n\n')
		.filter((b) => b !== '' && !b.startsWith(':'))
		.map((b) => {
			const [name, data] = b.split('\n')
			const parsed = JSON.parse((data as string).slice('data: '.length)) as Record<string, unknown>
			expect(name).toBe(`event: ${parsed.type}`)
			return parsed
		})
	expect(list.map((e) => e.sequence_number)).toEqual(list.map((_, i) => i))
	return list
}

const types = (list: Record<string, unknown>[]) => list.map((e) => e.type)

describe('the response stream', () => {
	it('sends keep-alive comments while the run is quiet, and a cancel reaches the lane', async () => {
		const { body, cancelled } = setup([{ events: [ev(1, 'started', 'r1')], hang: true }], {
			keepAliveMs: 5,
		})
		const reader = body.getReader()
		const decoder = new TextDecoder()
		let text = ''
		while (!text.includes(': keep-alive')) text += decoder.decode((await reader.read()).value)
		expect(text.startsWith('event: response.created\n')).toBe(true)
		await reader.cancel()
		await expect.poll(cancelled).toBe(1)
	})

	it('waits for the new attempt when the lane restarts before any text', async () => {
		const { body, urls } = setup([
			[ev(1, 'started', 'r1'), ev(2, 'error', 'r1', { code: 'lane_restarted', retrying: true })],
			[ev(3, 'started', 'r1'), ev(4, 'delta', 'r1', { text: 'echo: hi' }), ev(5, 'final', 'r1')],
		])
		const list = await events(body)
		expect(urls).toEqual(['https://lane/events?after=0', 'https://lane/events?after=2'])
		expect(types(list).at(-1)).toBe('response.completed')
		expect(list.at(-1)).toMatchObject({
			response: {
				created_at: 1_700_000_000,
				completed_at: 1_700_000_001,
				usage: { total_tokens: 12 },
			},
		})
	})

	it('ends with an error event when text was already sent', async () => {
		const { body } = setup([
			[
				ev(1, 'delta', 'r1', { text: 'ec' }),
				ev(2, 'error', 'r1', { code: 'lane_restarted', retrying: true }),
				ev(3, 'delta', 'r1', { text: 'echo: hi' }),
			],
		])
		const list = await events(body)
		expect(types(list)).toEqual([
			'response.created',
			'response.in_progress',
			'response.output_item.added',
			'response.content_part.added',
			'response.output_text.delta',
			'error',
		])
		expect(list.at(-1)).toMatchObject({
			code: 'lane_restarted',
			param: null,
			message: expect.any(String),
		})
	})

	it('ends a cancelled run with response.failed, status cancelled, and no message', async () => {
		const cancelled: RunView = { ...run, status: 'cancelled', finishedAt: 1_700_000_001_000 }
		const { body } = setup([[ev(1, 'started', 'r1'), ev(2, 'cancelled', 'r1', { reason: 'x' })]], {
			readRun: async () => cancelled,
		})
		const list = await events(body)
		expect(types(list)).toEqual(['response.created', 'response.in_progress', 'response.failed'])
		expect(list.at(-1)).toMatchObject({
			response: { status: 'cancelled', output: [], error: { code: 'run_cancelled' } },
		})
	})

	it('ends with response.incomplete when the answer used all of the output cap', async () => {
		const { body } = setup([[ev(1, 'delta', 'r1', { text: 'echo: hi' }), ev(2, 'final', 'r1')]], {
			agent: agent({ params: { maxOutputTokens: 2 } }),
		})
		const list = await events(body)
		expect(list.at(-2)).toMatchObject({ item: { status: 'incomplete' } })
		expect(list.at(-1)).toMatchObject({
			type: 'response.incomplete',
			response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
		})
	})

	it('answers a replay of a finished run from the stored run, without the lane stream', async () => {
		const { body, urls } = setup([], { run: done, duplicate: true })
		const list = await events(body)
		expect(urls).toEqual([])
		expect(types(list)).toEqual([
			'response.created',
			'response.in_progress',
			'response.output_item.added',
			'response.content_part.added',
			'response.output_text.delta',
			'response.output_text.done',
			'response.content_part.done',
			'response.output_item.done',
			'response.completed',
		])
		expect(list[4]).toMatchObject({ delta: 'echo: hi' })
	})
})
