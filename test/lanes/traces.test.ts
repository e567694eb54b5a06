// A traced run inside the lane: the traceparent a submit brings becomes the run's own span of that
// trace, and the trace id reaches every event of the run, its log lines, every provider request
// (a fetch replacement at the HTTP boundary reads the headers), the tool job it sends, and the
// span tree the lane builds for it — queue wait, model calls, a tool call with its approval,
// queue wait and execution, in order.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { AgentConfig } from '../../src/agents/config'
import { AgentLoop } from '../../src/agents/loop'
import { type HealthBackend, HealthView } from '../../src/agents/models/health'
import type { AgentSnapshot } from '../../src/agents/runner'
import { runTraceOf } from '../../src/lanes/trace-builder'
import type { LaneEvent } from '../../src/lanes/types'
import { Logger } from '../../src/observability/logger'
import type { Span } from '../../src/observability/spans'
import { parseTraceparent } from '../../src/observability/trace'
import { ToolJob } from '../../src/tools/jobs'
import { createToolbox, type Toolbox } from '../../src/tools/toolbox'
import { type LaneHarness, laneOver } from '../fakes/lane-host'
import { captureLogs, silentLogger } from '../fakes/logs'
import { anthropic, type Reply, scriptedFetch } from '../fakes/provider-wire'
import { tenantCredentials } from '../fakes/tool-context'
import { STATE_WAIT_MS } from '../timeouts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'
const FAILING_TRACE = 'a3ce929d0e0e47364bf92f3577b34da6'

const AGENT: AgentSnapshot = {
	tenantId: 'default',
	id: 'main',
	version: 1,
	config: AgentConfig.parse({
		model: { primary: 'claude:claude-sonnet-4-5' },
		providers: {
			claude: {
				kind: 'anthropic',
				baseURL: 'https://anthropic.test/v1',
				profiles: [{ id: 'a', secret: 'KEY_A' }],
			},
		},
		tools: { profile: 'coding', elevated: ['run_js'], approvalTimeoutMs: 60_000 },
	}),
}

/** Polls until `probe` returns a value (state, never a fixed sleep). */
async function until<T>(probe: () => T | undefined): Promise<T> {
	const deadline = Date.now() + STATE_WAIT_MS
	for (;;) {
		const value = probe()
		if (value !== undefined) return value
		if (Date.now() > deadline) throw new Error('condition not met in time')
		await new Promise((r) => setTimeout(r, 5))
	}
}

/** The provider answers run_js first, then text; a pause per answer so every span has a length. */
function provider(script: (n: number) => Reply) {
	const wire = scriptedFetch((_x, n) => script(n))
	const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
		await new Promise((r) => setTimeout(r, 3))
		return wire.fetch(input, init)
	}) as typeof globalThis.fetch
	return { fetch, exchanges: wire.exchanges }
}

/**
 * A lane whose model is the Anthropic provider over the fake wire, and whose tool jobs are
 * claimed and answered right after they are enqueued (the queue consumer's part, in short).
 */
function tracedLane(state: DurableObjectState, wire: ReturnType<typeof provider>, logger: Logger) {
	const jobs: ToolJob[] = []
	const backend = env.MODEL_HEALTH.getByName(crypto.randomUUID()) as unknown as HealthBackend
	const view = new HealthView(backend, silentLogger(), 0)
	const runner = new AgentLoop({
		health: () => view,
		env: {},
		credentials: tenantCredentials({ KEY_A: 'sk-ant-aaaa' }),
		urlRules: { httpsOnly: true },
		logger,
		fetch: wire.fetch,
	})
	const base = createToolbox(env, { logger: silentLogger(), waitUntil: () => {} })
	let h: LaneHarness | undefined
	const toolbox: Toolbox = {
		...base,
		async enqueue(job) {
			jobs.push(job)
			setTimeout(async () => {
				h?.lane.claimToolJob(job.jobId)
				await new Promise((r) => setTimeout(r, 3))
				h?.lane.deliverToolResult(job.jobId, { ok: true, text: '42' })
			}, 3)
		},
	}
	h = laneOver(state, undefined, {
		logger,
		runner,
		toolbox,
		clock: {
			get now() {
				return Date.now()
			},
		},
	})
	return { h, jobs }
}

const kinds = (spans: Span[]) => spans.map((s) => s.kind)
const endOf = (s: Span) => s.startedAt + (s.durationMs ?? Number.POSITIVE_INFINITY)

describe('a traced run in the lane', () => {
	it('carries the trace to its events, provider requests, tool job and span tree', async () => {
		const stub = env.SESSION_LANE.getByName(`default/main/traced-${crypto.randomUUID()}`)
		await runInDurableObject(stub, async (_i, state) => {
			const wire = provider((n) =>
				n === 1
					? { stream: anthropic.toolUse('run_js', { code: 'return 6 * 7' }) }
					: { stream: anthropic.text('42 it is') },
			)
			const { h, jobs } = tracedLane(state, wire, silentLogger())
			const submitted = h.lane.submit(
				h.request('what is 6 * 7?', undefined, {
					agent: AGENT,
					traceparent: `00-${TRACE}-${CALLER_SPAN}-01`,
				}),
			)
			if (!submitted.ok) throw new Error(submitted.error.message)
			const { runId } = submitted.value.run
			const approval = await until(
				() => h.events.find((e) => e.type === 'approval.requested')?.data.approvalId as string,
			)
			expect(h.lane.decideApproval(approval, 'allow-once', 'key:approver').ok).toBe(true)
			const run = await h.lane.wait(runId, STATE_WAIT_MS)
			expect(run).toMatchObject({ status: 'succeeded', output: '42 it is', traceId: TRACE })

			// The run is a span of its own in the caller's trace.
			const own = parseTraceparent(h.store.runs.get(runId)?.trace)
			expect(own).toMatchObject({ traceId: TRACE, sampled: true })
			expect(own?.spanId).not.toBe(CALLER_SPAN)
			const runTraceparent = `00-${TRACE}-${own?.spanId}-01`

			expect(wire.exchanges).toHaveLength(2)
			for (const x of wire.exchanges) expect(x.headers.traceparent).toBe(runTraceparent)
			expect(jobs).toHaveLength(1)
			expect(ToolJob.parse(jobs[0])).toMatchObject({ tool: 'run_js', traceparent: runTraceparent })
			const ofRun = h.events.filter((e: LaneEvent) => e.runId === runId)
			expect(ofRun.map((e) => e.type)).toContain('final')
			for (const e of ofRun) expect(e.traceId).toBe(TRACE)
			expect(h.store.events.after(0, 1_000).filter((e) => e.runId === runId)).toEqual(ofRun)

			const trace = runTraceOf(h.store, runId)
			if (!trace.ok) throw new Error(trace.error.message)
			const { root } = trace.value
			expect(trace.value).toMatchObject({ traceId: TRACE, runId, agentId: 'main' })
			expect(root).toMatchObject({ id: own?.spanId, kind: 'run', status: 'ok' })
			expect(kinds(root.children)).toEqual(['queue', 'model', 'tool', 'model'])
			const [queue, first, tool, second] = root.children as [Span, Span, Span, Span]
			expect(first.attributes).toMatchObject({ model: 'claude:claude-sonnet-4-5', outcome: 'ok' })
			expect(tool).toMatchObject({ name: 'tool run_js', status: 'ok' })
			expect(tool.attributes).toMatchObject({ tool: 'run_js', placement: 'job' })
			expect(kinds(tool.children)).toEqual(['approval', 'tool.queue', 'tool.exec'])
			const [approved, waited, ran] = tool.children as [Span, Span, Span]
			expect(approved.attributes).toMatchObject({ decision: 'allowed', decidedBy: 'key:approver' })
			expect(waited.attributes).toMatchObject({ jobId: jobs[0]?.jobId, claims: 1 })
			expect(ran.status).toBe('ok')
			// Each span ends before the next begins, all within the run.
			const chain = [queue, first, approved, waited, ran, second]
			for (let i = 1; i < chain.length; i++) {
				expect(chain[i]?.startedAt).toBeGreaterThanOrEqual(endOf(chain[i - 1] as Span))
			}
			expect(endOf(second)).toBeLessThanOrEqual(endOf(root))
			for (const child of tool.children) {
				expect(child.startedAt).toBeGreaterThanOrEqual(tool.startedAt)
				expect(endOf(child)).toBeLessThanOrEqual(endOf(tool))
			}
		})
	})

	it("puts the run's trace id on its log lines, the model layer's included", async () => {
		const stub = env.SESSION_LANE.getByName(`default/main/traced-${crypto.randomUUID()}`)
		await runInDurableObject(stub, async (_i, state) => {
			const logs = captureLogs()
			const wire = provider(() => ({ ...anthropic.unauthorized }))
			const { h } = tracedLane(state, wire, new Logger({}, { sink: logs.sink }))
			const submitted = h.lane.submit(
				h.request('hello', undefined, {
					agent: AGENT,
					traceparent: `00-${FAILING_TRACE}-${CALLER_SPAN}-00`,
				}),
			)
			if (!submitted.ok) throw new Error(submitted.error.message)
			const run = await h.lane.wait(submitted.value.run.runId, STATE_WAIT_MS)
			expect(run).toMatchObject({ status: 'failed', traceId: FAILING_TRACE })
			expect(wire.exchanges[0]?.headers.traceparent).toMatch(
				new RegExp(`^00-${FAILING_TRACE}-[0-9a-f]{16}-00$`),
			)
			const lines = logs.entries()
			const failed = lines.find((l) => l.msg === 'lane.run_failed')
			expect(failed).toMatchObject({ traceId: FAILING_TRACE, runId: run?.runId })
			expect(lines.find((l) => l.msg === 'models.call_failed')).toMatchObject({
				traceId: FAILING_TRACE,
			})
		})
	})

	it('a run without a traceparent has no trace: no header, no trace id anywhere', async () => {
		const stub = env.SESSION_LANE.getByName(`default/main/traced-${crypto.randomUUID()}`)
		await runInDurableObject(stub, async (_i, state) => {
			const wire = provider(() => ({ stream: anthropic.text('plain') }))
			const { h } = tracedLane(state, wire, silentLogger())
			const submitted = h.lane.submit(h.request('hello', undefined, { agent: AGENT }))
			if (!submitted.ok) throw new Error(submitted.error.message)
			const run = await h.lane.wait(submitted.value.run.runId, STATE_WAIT_MS)
			expect(run).toMatchObject({ status: 'succeeded', traceId: null })
			expect(wire.exchanges[0]?.headers).not.toHaveProperty('traceparent')
			expect(h.events.some((e) => 'traceId' in e)).toBe(false)
			const trace = runTraceOf(h.store, submitted.value.run.runId)
			expect(trace.ok && trace.value).toMatchObject({ traceId: null, root: { id: 'run' } })
			expect(runTraceOf(h.store, 'no-such-run')).toMatchObject({
				ok: false,
				error: { code: 'not_found' },
			})
		})
	})
})
