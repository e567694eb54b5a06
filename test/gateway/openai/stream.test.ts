// The streaming body on its own, against a fake lane: keep-alives while idle, a client that goes
// away cancels the lane stream, a lane restart before and after text was sent, and a replay.
import { describe, expect, it } from 'vitest'
import { AgentConfig } from '../../../src/agents/config'
import type { AgentSnapshot } from '../../../src/agents/runner'
import {
	type CompletionStreamOptions,
	completionStream,
	finishReasonOf,
} from '../../../src/gateway/openai/stream'
import type { RunView } from '../../../src/lanes/types'
import { type Answer, ev, fakeLane, sseStream } from '../../fakes/lane-events'
import { silentLogger } from '../../fakes/logs'
import { sseData } from './helpers'

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
	output: 'echo: hi',
	usage: { inputTokens: 10, outputTokens: 2 },
	calls: [{ model: 'offline:echo', inputTokens: 10, outputTokens: 2, latencyMs: 1, outcome: 'ok' }],
}

const quiet = silentLogger()

function setup(answers: Answer[], extra: Partial<CompletionStreamOptions> = {}) {
	const fake = fakeLane(answers)
	const body = completionStream({
		events: fake.lane,
		readRun: async () => done,
		run,
		after: 0,
		duplicate: false,
		agent: agent(),
		model: 'edgeclaw/main',
		includeUsage: false,
		logger: quiet,
		...extra,
	})
	return { ...fake, body }
}

const chunks = (text: string) =>
	sseData(text).map((d) => (d === '[DONE]' ? d : (JSON.parse(d) as Record<string, unknown>)))

describe('the completion stream', () => {
	it('sends keep-alive comments while the run is quiet, and a cancel reaches the lane', async () => {
		const { body, cancelled } = setup([{ events: [ev(1, 'started', 'r1')], hang: true }], {
			keepAliveMs: 5,
		})
		const reader = body.getReader()
		const decoder = new TextDecoder()
		let text = ''
		while (!text.includes(': keep-alive')) text += decoder.decode((await reader.read()).value)
		expect(text.startsWith('data: {')).toBe(true)
		await reader.cancel()
		await expect.poll(cancelled).toBe(1)
	})

	it('gives the run a new attempt when the lane restarts before any text', async () => {
		const { body, urls } = setup([
			[ev(1, 'started', 'r1'), ev(2, 'error', 'r1', { code: 'lane_restarted', retrying: true })],
			[ev(3, 'started', 'r1'), ev(4, 'delta', 'r1', { text: 'echo: hi' }), ev(5, 'final', 'r1')],
		])
		const out = chunks(await new Response(body).text())
		expect(out.at(-1)).toBe('[DONE]')
		expect(urls).toEqual(['https://lane/events?after=0', 'https://lane/events?after=2'])
		expect(JSON.stringify(out)).toContain('echo: hi')
		expect(out.at(-2)).toMatchObject({
			created: 1_700_000_000,
			choices: [{ finish_reason: 'stop' }],
		})
	})

	it('ends with lane_restarted when text was already sent', async () => {
		const { body } = setup([
			[
				ev(1, 'delta', 'r1', { text: 'ec' }),
				ev(2, 'error', 'r1', { code: 'lane_restarted', retrying: true }),
				ev(3, 'delta', 'r1', { text: 'echo: hi' }),
			],
		])
		const out = chunks(await new Response(body).text())
		expect(out).toHaveLength(3)
		expect(out[2]).toMatchObject({ error: { type: 'api_error', code: 'lane_restarted' } })
	})

	it('answers a replay of a finished run from the stored run, without the lane stream', async () => {
		const { body, urls } = setup([], { run: done, duplicate: true, includeUsage: true })
		const out = chunks(await new Response(body).text())
		expect(urls).toEqual([])
		expect(out.map((c) => (c === '[DONE]' ? c : (c.choices as unknown[]).length))).toEqual([
			1,
			1,
			1,
			0,
			'[DONE]',
		])
		expect(out[3]).toMatchObject({
			usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
		})
	})
})

describe('the stream the submit opened', () => {
	it('is read first, without a fetch; a break reopens from the last seq it gave', async () => {
		const opened = sseStream([ev(1, 'started', 'r1'), ev(2, 'delta', 'r1', { text: 'echo: ' })])
		const { body, urls } = setup([[ev(3, 'delta', 'r1', { text: 'hi' }), ev(4, 'final', 'r1')]], {
			opened,
		})
		const out = chunks(await new Response(body).text())
		expect(urls).toEqual(['https://lane/events?after=2'])
		expect(out.at(-1)).toBe('[DONE]')
		const text = out
			.map((c) => {
				if (c === '[DONE]') return ''
				const [choice] = c.choices as { delta: { content?: string } }[]
				return choice?.delta.content ?? ''
			})
			.join('')
		expect(text).toBe('echo: hi')
	})

	it('takes the usage from the final event, reading the stored run only for an output cap', async () => {
		let reads = 0
		const final = ev(3, 'final', 'r1', { usage: { inputTokens: 10, outputTokens: 2 } })
		const events = [ev(2, 'delta', 'r1', { text: 'echo: hi' }), final]
		const readRun = async () => {
			reads++
			return done
		}
		const uncapped = setup([], { opened: sseStream(events), readRun, includeUsage: true })
		const out = chunks(await new Response(uncapped.body).text())
		expect(reads).toBe(0)
		expect(out.at(-3)).toMatchObject({ choices: [{ finish_reason: 'stop' }] })
		expect(out.at(-2)).toMatchObject({ usage: { prompt_tokens: 10, completion_tokens: 2 } })

		const capped = setup([], {
			opened: sseStream(events),
			readRun,
			agent: agent({ params: { maxOutputTokens: 2 } }),
		})
		const capOut = chunks(await new Response(capped.body).text())
		expect(reads).toBe(1)
		expect(capOut.at(-2)).toMatchObject({ choices: [{ finish_reason: 'length' }] })
	})
})

describe('finish reasons', () => {
	it('is length only when the answering call used all of the agent output cap', () => {
		expect(finishReasonOf(done, agent())).toBe('stop')
		expect(finishReasonOf(done, agent({ params: { maxOutputTokens: 2 } }))).toBe('length')
		expect(finishReasonOf(done, agent({ params: { maxOutputTokens: 3 } }))).toBe('stop')
		const failedLast = {
			calls: [
				{ model: 'a', inputTokens: 1, outputTokens: 9, latencyMs: 1, outcome: 'ok' },
				{ model: 'b', inputTokens: 1, outputTokens: 0, latencyMs: 1, outcome: 'server' },
			],
		}
		expect(finishReasonOf(failedLast, agent({ params: { maxOutputTokens: 9 } }))).toBe('length')
	})
})
