// Traces through the Worker: a caller's `traceparent` is continued (same trace id, a span of ours
// in the response header) and reaches the request's log lines, its audit rows, the run it starts
// (its events, its trace) and the tool job that run sends through the real queue; a malformed one
// is ignored — a new trace, never a 500; with telemetry off there is no trace at all.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { laneName } from '../../src/lanes/name'
import type { LaneEvent } from '../../src/lanes/types'
import type { RunTrace, Span } from '../../src/observability/spans'
import { parseTraceparent } from '../../src/observability/trace'
import { captureLogs } from '../fakes/logs'
import {
	ADMIN_TOKEN,
	admin,
	call,
	createAgent,
	eventually,
	postJson,
	problem,
	send,
} from '../helpers'
import { completion } from './openai/helpers'

const TRACE = '0af7651916cd43dd8448eb211c80319c'
const SPAN = 'b7ad6b7169203331'
const INCOMING = `00-${TRACE}-${SPAN}-01`

await createAgent(env.DB, 'coder', { tools: { profile: 'coding' } })
await createAgent(env.DB, 'guarded', {
	tools: { profile: 'coding', elevated: ['run_js'], approvalTimeoutMs: 60_000 },
})

/** A fresh trace id per test, so rows and runs of one test are told from another's. */
const newTrace = () => crypto.randomUUID().replaceAll('-', '')

/** The response's traceparent, parsed (fails the test when absent or malformed). */
function traceOf(res: Response) {
	const parsed = parseTraceparent(res.headers.get('traceparent'))
	expect(parsed, `traceparent ${res.headers.get('traceparent')}`).toBeDefined()
	return parsed as NonNullable<typeof parsed>
}

const inApp = (init: RequestInit, over: Partial<Env> = {}) => {
	const logs = captureLogs()
	const app = createGateway({ sink: logs.sink })
	const headers = new Headers(init.headers)
	headers.set('authorization', `Bearer ${ADMIN_TOKEN}`)
	return {
		logs,
		res: app.request(
			'/v1/agents',
			{ ...init, headers },
			{ ...env, EDGECLAW_LOG_LEVEL: 'debug', ...over },
		),
	}
}

describe('traceparent at the gateway', () => {
	it('continues the caller’s trace: same trace id and flags, a span id of ours', async () => {
		const res = await call('/health', { headers: { traceparent: INCOMING } })
		expect(res.status).toBe(200)
		const ours = traceOf(res)
		expect(ours).toMatchObject({ traceId: TRACE, sampled: true })
		expect(ours.spanId).not.toBe(SPAN)
		const unsampled = traceOf(
			await call('/health', { headers: { traceparent: `00-${TRACE}-${SPAN}-00` } }),
		)
		expect(unsampled).toMatchObject({ traceId: TRACE, sampled: false })
	})

	it('starts a trace when none comes, and each request gets its own', async () => {
		const a = traceOf(await call('/health'))
		const b = traceOf(await call('/health'))
		expect(a.traceId).not.toBe(b.traceId)
		expect(traceOf(await call('/missing')).traceId).toMatch(/^[0-9a-f]{32}$/)
	})

	it('puts the trace id on every log line of the request', async () => {
		const { logs, res } = inApp({ headers: { traceparent: INCOMING } })
		expect((await res).status).toBe(200)
		const lines = logs.entries()
		expect(lines.map((l) => l.msg)).toContain('request')
		for (const line of lines) expect(line).toMatchObject({ traceId: TRACE })
	})

	it('ignores a malformed traceparent: a new valid trace, never a 5xx', async () => {
		const nearMisses = fc.oneof(
			fc.string({ maxLength: 80 }),
			fc.stringMatching(/^[0-9a-fA-F-]{50,60}$/),
			fc.constantFrom(
				`ff-${TRACE}-${SPAN}-01`,
				`00-${'0'.repeat(32)}-${SPAN}-01`,
				`00-${TRACE}-${'0'.repeat(16)}-01`,
				`00-${TRACE.toUpperCase()}-${SPAN}-01`,
				`00-${TRACE}-${SPAN}-01-extra`,
				`00-${TRACE.slice(1)}-${SPAN}-01`,
				`${INCOMING}${'x'.repeat(600)}`,
			),
		)
		await fc.assert(
			fc.asyncProperty(nearMisses, async (value) => {
				const header = value.replace(/[^\x20-\x7e]/g, '')
				const res = await call('/health', { headers: { traceparent: header } })
				expect(res.status).toBeLessThan(500)
				const ours = traceOf(res)
				const theirs = parseTraceparent(header)
				if (theirs) expect(ours.traceId).toBe(theirs.traceId)
				else expect(ours.traceId).not.toBe(TRACE)
			}),
			{ numRuns: 60 },
		)
	})

	it('with EDGECLAW_TELEMETRY=off there is no trace: no header, no trace id in the logs', async () => {
		const { logs, res } = inApp(
			{ headers: { traceparent: INCOMING } },
			{ EDGECLAW_TELEMETRY: 'off' },
		)
		const answered = await res
		expect(answered.status).toBe(200)
		expect(answered.headers.get('traceparent')).toBeNull()
		expect(logs.entries().length).toBeGreaterThan(0)
		for (const line of logs.entries()) expect(line).not.toHaveProperty('traceId')
	})
})

describe('the trace id in audit rows', () => {
	it('writes it on rows of a traced request, filters by it, and the chain still verifies', async () => {
		const trace = newTrace()
		const created = await postJson(
			'/v1/agents',
			{ id: 'traced-agent', name: 'Traced', config: { model: { primary: 'offline:echo' } } },
			{ traceparent: `00-${trace}-${SPAN}-01` },
		)
		expect(created.status).toBe(201)
		const page = await eventually(async () => {
			const res = await admin(`/v1/audit?trace=${trace}`)
			const body = (await res.json()) as { entries: Record<string, unknown>[] }
			return body.entries.length > 0 ? body.entries : undefined
		})
		expect(page).toEqual([
			expect.objectContaining({
				action: 'agent.created',
				target: 'agent:traced-agent',
				traceId: trace,
			}),
		])
		const verify = (await (await admin('/v1/audit/verify')).json()) as { ok: boolean }
		expect(verify.ok).toBe(true)
		const bad = await admin('/v1/audit?trace=NOT-A-TRACE')
		expect(bad.status).toBe(400)
		expect((await problem(bad)).code).toBe('validation_failed')
	})
})

const runTrace = async (session: string, runId: string, agent: string): Promise<RunTrace> => {
	const res = await admin(`/v1/sessions/${session}/runs/${runId}/trace?agent=${agent}`)
	expect(res.status).toBe(200)
	return (await res.json()) as RunTrace
}

const kinds = (spans: Span[]) => spans.map((s) => s.kind)

describe('a traced run through the Worker', () => {
	it('carries the trace to the run, its events, its tool job and its span tree', async () => {
		// Without a traceparent the gateway starts a trace, and the run carries that one.
		const { res, run } = await send('traced-run', { agent: 'coder', content: 'hi', wait: true })
		expect(run.status).toBe('succeeded')
		const started = await admin(`/v1/sessions/traced-run/runs/${run.runId}?agent=coder`)
		expect(((await started.json()) as { traceId: string }).traceId).toBe(traceOf(res).traceId)

		const trace = newTrace()
		const traced = await postJson(
			'/v1/sessions/traced-run/messages',
			{
				agent: 'coder',
				content: `/tool run_js ${JSON.stringify({ code: 'return 7 * 6' })}`,
				wait: true,
			},
			{ traceparent: `00-${trace}-${SPAN}-01` },
		)
		expect(traced.status).toBe(200)
		expect(traceOf(traced).traceId).toBe(trace)
		const { runId } = (await traced.json()) as { runId: string }
		const view = (await (
			await admin(`/v1/sessions/traced-run/runs/${runId}?agent=coder`)
		).json()) as { traceId: string }
		expect(view.traceId).toBe(trace)

		const lane = env.SESSION_LANE.getByName(
			laneName({ tenantId: 'default', agentId: 'coder', sessionKey: 'traced-run' }),
		)
		const all = (await lane.eventsAfter(0, 1_000)) as unknown as LaneEvent[]
		const events = all.filter((e) => e.runId === runId)
		expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['queued', 'tool', 'final']))
		for (const e of events) expect(e.traceId).toBe(trace)

		const spans = await runTrace('traced-run', runId, 'coder')
		expect(spans).toMatchObject({
			traceId: trace,
			runId,
			agentId: 'coder',
			sessionKey: 'traced-run',
		})
		expect(kinds(spans.root.children)).toEqual(['queue', 'model', 'tool', 'model'])
		const tool = spans.root.children[2] as Span
		expect(tool).toMatchObject({ name: 'tool run_js', status: 'ok' })
		expect(kinds(tool.children)).toEqual(['tool.queue', 'tool.exec'])
		expect(tool.children.every((s) => s.durationMs !== null && s.status === 'ok')).toBe(true)
	})

	it('a run that waited for an approval shows it before its job', async () => {
		const trace = newTrace()
		const sent = await postJson(
			'/v1/sessions/traced-approval/messages',
			{ agent: 'guarded', content: `/tool run_js ${JSON.stringify({ code: 'return "ran"' })}` },
			{ traceparent: `00-${trace}-${SPAN}-01` },
		)
		expect(sent.status).toBe(202)
		const { runId } = (await sent.json()) as { runId: string }
		const pending = await eventually(async () => {
			const res = await admin('/v1/sessions/traced-approval/approvals?agent=guarded')
			const { approvals } = (await res.json()) as { approvals: { id: string; status: string }[] }
			return approvals.find((a) => a.status === 'pending')
		})
		const waiting = await runTrace('traced-approval', runId, 'guarded')
		const open = waiting.root.children.find((s) => s.kind === 'tool') as Span
		expect(open.children).toEqual([
			expect.objectContaining({ kind: 'approval', status: 'running', durationMs: null }),
		])
		const decided = await postJson(
			`/v1/sessions/traced-approval/approvals/${pending.id}?agent=guarded`,
			{ decision: 'allow-once' },
		)
		expect(decided.status).toBe(200)
		const done = await eventually(async () => {
			const t = await runTrace('traced-approval', runId, 'guarded')
			return t.root.status === 'ok' ? t : undefined
		})
		expect(done.traceId).toBe(trace)
		const tool = done.root.children.find((s) => s.kind === 'tool') as Span
		expect(kinds(tool.children)).toEqual(['approval', 'tool.queue', 'tool.exec'])
		const [approval, queued] = tool.children as [Span, Span]
		expect(approval).toMatchObject({ status: 'ok', attributes: { decision: 'allowed' } })
		expect(queued.startedAt).toBeGreaterThanOrEqual(approval.startedAt + (approval.durationMs ?? 0))
	})

	it('documents the route and its span tree in the OpenAPI document', async () => {
		const doc = (await (await call('/openapi.json')).json()) as {
			paths: Record<string, unknown>
			components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
		}
		expect(doc.paths).toHaveProperty(['/v1/sessions/{sessionKey}/runs/{runId}/trace', 'get'])
		expect(doc.components.schemas.RunTrace?.properties?.root).toEqual({
			$ref: '#/components/schemas/Span',
		})
		expect(doc.components.schemas.Span?.properties?.children).toMatchObject({
			type: 'array',
			items: { $ref: '#/components/schemas/Span' },
		})
	})

	it('answers 404 for a run the session does not have', async () => {
		const res = await admin('/v1/sessions/traced-run/runs/no-such-run/trace?agent=coder')
		expect(res.status).toBe(404)
		expect((await problem(res)).code).toBe('not_found')
	})

	it('the OpenAI-compatible API continues the trace into its run', async () => {
		const trace = newTrace()
		const res = await completion(
			ADMIN_TOKEN,
			{ model: 'edgeclaw/main', messages: [{ role: 'user', content: 'hello' }] },
			{ traceparent: `00-${trace}-${SPAN}-01`, 'x-edgeclaw-session': 'traced-openai' },
		)
		expect(res.status).toBe(200)
		expect(traceOf(res).traceId).toBe(trace)
		const lane = env.SESSION_LANE.getByName(
			laneName({ tenantId: 'default', agentId: 'main', sessionKey: 'traced-openai' }),
		)
		const runs = await lane.listRuns(0, 10)
		expect(runs.ok && runs.value.runs.map((r) => r.traceId)).toEqual([trace])
	})
})
