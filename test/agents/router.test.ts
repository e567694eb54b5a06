// The model layer against recorded provider wire responses: streaming, tool calls, key rotation,
// cooldown, disable, fallback, backoff, circuit breaker, timeouts, malformed bodies, broken
// streams, cancellation, deadlines and the context-window check. The network is replaced at the
// fetch boundary; the AI SDK providers and the shared ModelHealth object are the real ones.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { AgentConfig } from '../../src/agents/config'
import { AgentLoop } from '../../src/agents/loop'
import { type HealthBackend, HealthView } from '../../src/agents/models/health'
import type {
	AgentSnapshot,
	ModelCallRecord,
	ToolEventData,
	TurnMessage,
} from '../../src/agents/runner'
import { sessionStatus } from '../../src/tools/builtin/session-status'
import { timeNow } from '../../src/tools/builtin/time-now'
import { runTool } from '../../src/tools/registry'
import { silentLogger } from '../fakes/logs'
import { anthropic, type Exchange, openai, type Reply, scriptedFetch } from '../fakes/provider-wire'
import { tenantCredentials, toolContext } from '../fakes/tool-context'

const SECRETS = { KEY_A: 'sk-ant-aaaa', KEY_B: 'sk-ant-bbbb', OPENAI_KEY: 'sk-openai-cccc' }
const silent = silentLogger()

function agent(over: Record<string, unknown> = {}): AgentSnapshot {
	const config = AgentConfig.parse({
		instructions: 'You are a test agent.',
		model: { primary: 'claude:claude-sonnet-4-5', fallbacks: ['gpt:gpt-4o-mini'] },
		providers: {
			claude: {
				kind: 'anthropic',
				baseURL: 'https://anthropic.test/v1',
				profiles: [
					{ id: 'a', secret: 'KEY_A' },
					{ id: 'b', secret: 'KEY_B' },
				],
			},
			gpt: {
				kind: 'openai',
				baseURL: 'https://openai.test/v1',
				profiles: [{ id: 'main', secret: 'OPENAI_KEY' }],
			},
		},
		...over,
	})
	return { tenantId: 't', id: 'a', version: 1, config }
}

/** The lane's own tools, run in-process: the loop's tool seam, without a lane behind it. */
const LANE_TOOLS = [timeNow, sessionStatus]

const json = (r: { status: number; headers: Record<string, string>; body: unknown }): Reply => r

function setup(route: (x: Exchange, n: number) => Reply, options: { callTimeoutMs?: number } = {}) {
	const backend = env.MODEL_HEALTH.getByName(crypto.randomUUID()) as unknown as HealthBackend
	const wire = scriptedFetch(route)
	const waits: number[] = []
	const view = new HealthView(backend, silent, 0)
	const loop = new AgentLoop({
		health: () => view,
		env: {},
		credentials: tenantCredentials(SECRETS),
		urlRules: { httpsOnly: true },
		logger: silent,
		fetch: wire.fetch,
		random: () => 0.5,
		sleep: async (ms) => {
			waits.push(ms)
		},
		...(options.callTimeoutMs ? { callTimeoutMs: options.callTimeoutMs } : {}),
	})
	return { loop, backend, exchanges: wire.exchanges, waits }
}

async function turn(
	loop: AgentLoop,
	text: string,
	options: { agent?: AgentSnapshot; signal?: AbortSignal; deadline?: number } = {},
) {
	const deltas: string[] = []
	const tools: ToolEventData[] = []
	const commits: TurnMessage[][] = []
	const calls: ModelCallRecord[] = []
	const promise = loop.runTurn(
		{
			runId: 'run-1',
			session: { tenantId: 't', agentId: 'a', sessionKey: 's' },
			agent: options.agent ?? agent(),
			transcript: [],
			input: [{ role: 'user', content: [{ type: 'text', text }] }],
			signal: options.signal ?? new AbortController().signal,
			deadline: options.deadline ?? Date.now() + 60_000,
			tools: LANE_TOOLS,
		},
		{
			delta: (t) => deltas.push(t),
			tool: (e) => tools.push(e),
			invoke: async (c) => {
				const spec = LANE_TOOLS.find((t) => t.name === c.name)
				return spec
					? runTool(spec, c.args, toolContext({ callId: c.callId }))
					: { ok: false, text: `Tool "${c.name}" is not available to this agent.` }
			},
			steer: () => [],
			hasSteer: () => false,
			commit: (m) => commits.push(m),
			call: (c) => calls.push(c),
		},
	)
	const settled = await promise.then(
		(result) => ({ result, error: undefined }),
		(error: unknown) => ({ result: undefined, error: error as Error & { code?: string } }),
	)
	return { ...settled, deltas, tools, commits, calls }
}

const host = (x: Exchange) => new URL(x.url).host

describe('providers on the wire', () => {
	it('streams an Anthropic answer: deltas as they come, usage from the stream', async () => {
		const { loop, exchanges } = setup(() => ({ stream: anthropic.text('Hello from Claude!') }))
		const t = await turn(loop, 'hi')
		expect(t.error).toBeUndefined()
		expect(t.deltas.length).toBeGreaterThan(1)
		expect(t.deltas.join('')).toBe('Hello from Claude!')
		expect(t.result).toMatchObject({
			text: 'Hello from Claude!',
			usage: { inputTokens: 25, outputTokens: 9 },
			model: 'claude:claude-sonnet-4-5',
		})
		expect(t.calls).toEqual([expect.objectContaining({ outcome: 'ok', profile: 'a' })])
		const [x] = exchanges
		expect(x?.url).toBe('https://anthropic.test/v1/messages')
		expect(x?.headers['x-api-key']).toBe(SECRETS.KEY_A)
		expect(x?.body).toMatchObject({ model: 'claude-sonnet-4-5', stream: true })
		expect(JSON.stringify(x?.body.system)).toContain('You are a test agent.')
	})

	it('runs an OpenAI tool call, feeds the result back as untrusted data, then answers', async () => {
		const { loop, exchanges } = setup((_, n) =>
			n === 1
				? { stream: openai.toolCall('time_now', { timezone: 'UTC' }) }
				: { stream: openai.text('It is noon.') },
		)
		const t = await turn(loop, 'what time is it?', {
			agent: agent({ model: { primary: 'gpt:gpt-4o-mini' } }),
		})
		expect(t.error).toBeUndefined()
		expect(t.result?.text).toBe('It is noon.')
		expect(t.tools.map((e) => `${e.phase}:${e.name}`)).toEqual(['call:time_now', 'result:time_now'])
		expect(t.commits[0]?.map((m) => m.role)).toEqual(['assistant', 'tool'])
		expect(t.result?.usage).toEqual({ inputTokens: 99, outputTokens: 27 })
		expect(exchanges[0]?.headers.authorization).toBe(`Bearer ${SECRETS.OPENAI_KEY}`)
		const tools = exchanges[0]?.body.tools as { function: { name: string } }[]
		expect(tools.map((tool) => tool.function.name).sort()).toEqual(['session_status', 'time_now'])
		const messages = exchanges[1]?.body.messages as { role: string; content: unknown }[]
		const toolMessage = messages.find((m) => m.role === 'tool')
		expect(String(toolMessage?.content)).toContain('<tool_result name="time_now" untrusted="true">')
		expect(String(toolMessage?.content)).toContain('"timezone":"UTC"')
	})
})

describe('failover', () => {
	it('rotates to the next key on 429 and cools the limited one down (shared state)', async () => {
		const { loop, backend, exchanges } = setup((x) =>
			x.headers['x-api-key'] === SECRETS.KEY_A
				? json(anthropic.rateLimited)
				: { stream: anthropic.text('ok') },
		)
		const first = await turn(loop, 'hi')
		expect(first.result?.text).toBe('ok')
		expect(exchanges.map((x) => x.headers['x-api-key'])).toEqual([SECRETS.KEY_A, SECRETS.KEY_B])
		expect(first.calls.map((c) => c.outcome)).toEqual(['rate_limit', 'ok'])
		const state = (await backend.snapshot()).profiles[`anthropic|https://anthropic.test/v1|KEY_A`]
		expect(state?.failures).toBe(1)
		expect(state?.cooldownUntil).toBeGreaterThan(Date.now() + 25_000)
		// The next turn skips the cooling key without calling it.
		await turn(loop, 'again')
		expect(exchanges.slice(2).map((x) => x.headers['x-api-key'])).toEqual([SECRETS.KEY_B])
	})

	it('disables a key on 401 or billing errors until an admin re-enables it', async () => {
		const { loop, backend } = setup((x) =>
			x.headers['x-api-key'] === SECRETS.KEY_A
				? json(anthropic.unauthorized)
				: json(anthropic.billing),
		)
		const t = await turn(loop, 'hi', {
			agent: agent({ model: { primary: 'claude:claude-sonnet-4-5' } }),
		})
		expect(t.error?.code).toBe('models_exhausted')
		const { profiles } = await backend.snapshot()
		expect(profiles['anthropic|https://anthropic.test/v1|KEY_A']?.disabled?.reason).toBe('auth')
		expect(profiles['anthropic|https://anthropic.test/v1|KEY_B']?.disabled?.reason).toBe('billing')
		expect(await backend.reset('profile', 'anthropic|https://anthropic.test/v1|KEY_A')).toBe(true)
		expect(
			(await backend.snapshot()).profiles['anthropic|https://anthropic.test/v1|KEY_A'],
		).toBeUndefined()
	})

	it('falls back to the next model when every key of the primary is exhausted', async () => {
		const { loop, exchanges } = setup((x) =>
			host(x) === 'anthropic.test'
				? json(anthropic.overloaded)
				: { stream: openai.text('from gpt') },
		)
		const t = await turn(loop, 'hi')
		expect(t.result).toMatchObject({ text: 'from gpt', model: 'gpt:gpt-4o-mini' })
		expect(exchanges.map(host)).toEqual(['anthropic.test', 'anthropic.test', 'openai.test'])
		expect(t.calls.map((c) => `${c.model}:${c.outcome}`)).toEqual([
			'claude:claude-sonnet-4-5:overloaded',
			'claude:claude-sonnet-4-5:overloaded',
			'gpt:gpt-4o-mini:ok',
		])
	})

	it('retries server errors with exponential backoff and full jitter, then succeeds', async () => {
		const { loop, waits, backend } = setup((_, n) =>
			n <= 2 ? json(anthropic.server) : { stream: anthropic.text('third time') },
		)
		const t = await turn(loop, 'hi')
		expect(t.result?.text).toBe('third time')
		// random() = 0.5 of ceilings 500 ms and 1000 ms.
		expect(waits).toEqual([250, 500])
		// The success closed the breaker the two failures had started.
		expect((await backend.snapshot()).breakers).toEqual({})
	})

	it('opens the circuit after repeated failures and stops calling the model', async () => {
		const solo = agent({ model: { primary: 'claude:claude-sonnet-4-5' } })
		const { loop, exchanges, backend } = setup(() => json(anthropic.server))
		await turn(loop, 'one', { agent: solo })
		await turn(loop, 'two', { agent: solo })
		const breaker = (await backend.snapshot()).breakers[
			'anthropic|https://anthropic.test/v1|claude-sonnet-4-5'
		]
		expect(breaker).toMatchObject({ state: 'open', trips: 1 })
		const calls = exchanges.length
		const third = await turn(loop, 'three', { agent: solo })
		expect(exchanges.length).toBe(calls)
		expect(third.error?.message).toContain('circuit open')
		// While open, nobody gets the half-open probe.
		expect(await backend.probe('anthropic|https://anthropic.test/v1|claude-sonnet-4-5')).toBe(false)
	})

	it('treats a hung call as a timeout and moves on', async () => {
		const { loop } = setup(
			(x) => (host(x) === 'anthropic.test' ? 'hang' : { stream: openai.text('fast') }),
			// Long enough for the in-process fallback to answer on a loaded machine.
			{ callTimeoutMs: 500 },
		)
		const t = await turn(loop, 'hi')
		expect(t.result?.text).toBe('fast')
		expect(t.calls.filter((c) => c.outcome === 'timeout').length).toBeGreaterThan(0)
	})

	it('fails clearly on a malformed body, and on a stream that breaks after it started', async () => {
		const garbage = setup(() => ({ raw: openai.malformed, contentType: 'text/event-stream' }))
		const bad = await turn(garbage.loop, 'hi', {
			agent: agent({ model: { primary: 'gpt:gpt-4o-mini' } }),
		})
		expect(bad.error?.code).toBe('models_exhausted')
		expect(bad.error?.message).toMatch(/bad_response/)
		const broken = setup(() => ({ stream: anthropic.brokenMidStream() }))
		const cut = await turn(broken.loop, 'hi')
		expect(cut.deltas.join('')).toBe('Partial ans')
		expect(cut.error?.code).toBe('provider_stream_interrupted')
		// Retrying would repeat text subscribers already saw: one call only.
		expect(broken.exchanges.length).toBe(1)
	})

	it('moves to the next model when the prompt is too long for one (provider says so)', async () => {
		const { loop } = setup((x) =>
			host(x) === 'openai.test' ? json(openai.contextLength) : { stream: anthropic.text('fits') },
		)
		const t = await turn(loop, 'hi', {
			agent: agent({
				model: { primary: 'gpt:gpt-4o-mini', fallbacks: ['claude:claude-sonnet-4-5'] },
			}),
		})
		expect(t.result?.text).toBe('fits')
		expect(t.calls[0]?.outcome).toBe('context_overflow')
	})
})

describe('limits', () => {
	it('checks the context window before calling: skips a model the prompt cannot fit', async () => {
		const small = (window: number) =>
			agent({
				providers: {
					claude: {
						kind: 'anthropic',
						baseURL: 'https://anthropic.test/v1',
						contextWindow: window,
						profiles: [{ id: 'a', secret: 'KEY_A' }],
					},
					gpt: {
						kind: 'openai',
						baseURL: 'https://openai.test/v1',
						profiles: [{ id: 'main', secret: 'OPENAI_KEY' }],
					},
				},
			})
		const { loop, exchanges } = setup(() => ({ stream: openai.text('roomy') }))
		const t = await turn(loop, 'x'.repeat(8_000), { agent: small(4_000) })
		expect(t.result?.text).toBe('roomy')
		expect(exchanges.map(host)).toEqual(['openai.test'])
		const none = await turn(loop, 'x'.repeat(8_000), {
			agent: agent({
				model: { primary: 'claude:claude-sonnet-4-5' },
				providers: {
					claude: {
						kind: 'anthropic',
						baseURL: 'https://anthropic.test/v1',
						contextWindow: 4_000,
						profiles: [{ id: 'a', secret: 'KEY_A' }],
					},
				},
			}),
		})
		expect(none.error?.code).toBe('context_overflow')
		expect(exchanges.length).toBe(1)
	})

	it('aborts the provider request when the run is cancelled', async () => {
		const { loop, exchanges } = setup(() => 'hang')
		const controller = new AbortController()
		setTimeout(() => controller.abort(new Error('cancelled by user')), 20)
		const t = await turn(loop, 'hi', { signal: controller.signal })
		expect(t.error?.message).toBe('cancelled by user')
		expect(exchanges[0]?.signal?.aborted).toBe(true)
		expect(exchanges.length).toBe(1)
	})

	it('does not wait for a retry past the run deadline', async () => {
		const { loop, waits } = setup(() => json(anthropic.server))
		const t = await turn(loop, 'hi', {
			agent: agent({ model: { primary: 'claude:claude-sonnet-4-5' } }),
			deadline: Date.now() + 100,
		})
		expect(t.error?.code).toBe('models_exhausted')
		expect(t.error?.message).toContain("no time left before the run's deadline")
		expect(waits).toEqual([])
	})
})

describe('Workers AI', () => {
	it('streams through the AI binding (replaced at the binding boundary)', async () => {
		const runs: { model: string; inputs: Record<string, unknown> }[] = []
		const encoder = new TextEncoder()
		const AI = {
			run: async (model: string, inputs: Record<string, unknown>) => {
				runs.push({ model, inputs })
				return new ReadableStream({
					start(c) {
						for (const piece of ['Hello', ' from', ' the edge'])
							c.enqueue(encoder.encode(`data: ${JSON.stringify({ response: piece })}\n\n`))
						c.enqueue(
							encoder.encode(
								`data: ${JSON.stringify({ response: '', usage: { prompt_tokens: 20, completion_tokens: 4 } })}\n\n`,
							),
						)
						c.enqueue(encoder.encode('data: [DONE]\n\n'))
						c.close()
					},
				})
			},
		}
		const backend = env.MODEL_HEALTH.getByName(crypto.randomUUID()) as unknown as HealthBackend
		const view = new HealthView(backend, silent, 0)
		const loop = new AgentLoop({
			health: () => view,
			env: { AI },
			credentials: tenantCredentials(),
			urlRules: { httpsOnly: true },
			logger: silent,
		})
		const t = await turn(loop, 'hi', {
			agent: agent({ model: { primary: 'workers-ai:@cf/meta/llama-3.3-70b-instruct-fp8-fast' } }),
		})
		expect(t.error).toBeUndefined()
		expect(t.result?.text).toBe('Hello from the edge')
		expect(runs[0]?.model).toBe('@cf/meta/llama-3.3-70b-instruct-fp8-fast')
		expect(runs[0]?.inputs.stream).toBe(true)
	})

	it('says plainly when the binding is absent (local dev)', async () => {
		const { loop } = setup(() => 'hang')
		const t = await turn(loop, 'hi', { agent: agent({ model: { primary: 'workers-ai:@cf/x/y' } }) })
		expect(t.error?.code).toBe('models_exhausted')
		expect(t.error?.message).toContain('needs the Workers AI binding "AI"')
	})
})
