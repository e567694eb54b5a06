// The metric points the Worker writes, read from a wrapped Analytics Engine binding: exactly one
// point per request, run, model call, tool execution, webhook and delivery — none twice after a
// lane restart —, rollups in D1 that agree with usage_daily, and a failing binding that fails
// nothing else.
import { abortAllDurableObjects, env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { PLATFORM_INDEX } from '../../src/observability/metrics'
import { prepareTenant } from '../channels/flow-setup'
import { telegramPrivateText } from '../fakes/channel-payloads'
import { doubles, type ReadPoint, recordMetrics } from '../fakes/metrics'
import { FakePlatforms } from '../fakes/platforms'
import { ADMIN_TOKEN, admin, call, createAgent, eventually, send, waitForRun } from '../helpers'

const metrics = recordMetrics()
const platforms = FakePlatforms.install()
const any = expect.any(Number) as unknown as number
const positive = expect.toSatisfy((n: number) => n > 0) as unknown as number
/** Every point of a request, run, call or webhook carries its W3C trace id. */
const traced = expect.stringMatching(/^[0-9a-f]{32}$/) as unknown as string

/** The points of `kind` written after `from` (an index into the recording). */
const since = (from: number, kind: string) =>
	metrics.points.slice(from).filter((p) => p.kind === kind)

/** Waits until `agent` has `count` points of `kind`, then gives them (no more may follow). */
const pointsOf = (kind: string, agent: string, count: number) =>
	eventually(async () => {
		const found = metrics.of(kind, agent)
		return found.length >= count ? found : undefined
	})

const request = (dim: string, status: number, tenant = 'default'): ReadPoint => ({
	index: tenant,
	kind: 'request',
	tenant,
	agent: '',
	traceId: traced,
	dim,
	outcome: `${Math.floor(status / 100)}xx`,
	details: [dim.slice(0, dim.indexOf(' ')), '', ''],
	// Bytes come from Content-Length, which these answers (JSON built in the Worker) do not carry.
	doubles: doubles({ durationMs: any, error: status >= 500 ? 1 : 0, status }),
})

beforeAll(async () => {
	await createAgent(env.DB, 'metered', { tools: { profile: 'coding' } })
	await createAgent(env.DB, 'failing', {
		model: { primary: 'offline:echo', fallbacks: ['offline:backup'] },
	})
	await createAgent(env.DB, 'restarted', {})
	await createAgent(env.DB, 'counted', {
		model: { primary: 'offline:echo', fallbacks: ['offline:backup'] },
		tools: { profile: 'coding' },
	})
})

describe('request points', () => {
	it('one per request, by route template, in the caller’s tenant or the platform’s', async () => {
		const from = metrics.points.length
		const trace = '4bf92f3577b34da6a3ce929d0e0e4736'
		const first = await admin('/v1/agents', {
			headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
		})
		expect(first.status).toBe(200)
		expect((await admin('/v1/sessions/no-such-session?agent=main')).status).toBe(404)
		expect((await call('/nowhere')).status).toBe(404)
		expect((await call('/v1/agents')).status).toBe(401)
		// A browser navigation the web app answers (404 when the app is not built: still its answer).
		const page = await call('/sessions/abc', { headers: { accept: 'text/html' } })
		expect(since(from, 'request')).toEqual([
			{ ...request('GET /v1/agents', 200), traceId: trace },
			request('GET /v1/sessions/:sessionKey', 404),
			request('GET unmatched', 404, PLATFORM_INDEX),
			// Refused before it was authenticated: nobody's tenant, but the endpoint it asked for.
			request('GET /v1/agents', 401, PLATFORM_INDEX),
			request('GET (web app)', page.status, PLATFORM_INDEX),
		])
	})

	it('counts a WebSocket upgrade, with its 101', async () => {
		await send('ws-metrics', { content: 'hello', wait: true })
		const from = metrics.points.length
		const res = await call('/v1/sessions/ws-metrics/ws', {
			headers: { upgrade: 'websocket', authorization: `Bearer ${ADMIN_TOKEN}` },
		})
		expect(res.status).toBe(101)
		res.webSocket?.accept()
		res.webSocket?.close()
		expect(since(from, 'request')).toEqual([request('GET /v1/sessions/:sessionKey/ws', 101)])
	})

	it('a failing binding fails no request and no run', async () => {
		metrics.failing = true
		try {
			expect((await admin('/v1/agents')).status).toBe(200)
			const { run } = await send('failing-binding', { content: 'still here', wait: true })
			expect(run.output).toBe('echo: still here')
		} finally {
			metrics.failing = false
		}
	})
})

describe('a run with a tool call', () => {
	it('is one run point, one model_call point per call and one tool point per execution', async () => {
		const code = JSON.stringify({ code: 'return 6 * 7' })
		const { run } = await send('m-tool', {
			agent: 'metered',
			content: `/tool run_js ${code}`,
			wait: true,
		})
		expect(run.status).toBe('succeeded')
		const [tool] = await pointsOf('tool', 'metered', 1)
		const calls = metrics.of('model_call', 'metered')
		const runs = metrics.of('run', 'metered')
		const modelCall = {
			index: 'default',
			kind: 'model_call',
			tenant: 'default',
			agent: 'metered',
			traceId: traced,
			dim: 'offline:echo',
			outcome: 'ok',
			details: ['offline', '', 'first'],
			// The offline model costs nothing, and that is known.
			doubles: doubles({
				durationMs: any,
				inputTokens: positive,
				outputTokens: positive,
				costKnown: 1,
			}),
		}
		expect(calls).toEqual([modelCall, modelCall])
		const tokens = (key: 'inputTokens' | 'outputTokens') =>
			calls.reduce((n, p) => n + p.doubles[key], 0)
		expect(runs).toEqual([
			{
				...modelCall,
				kind: 'run',
				outcome: 'succeeded',
				details: ['', 'followup', ''],
				doubles: doubles({
					durationMs: any,
					queueWaitMs: any,
					inputTokens: tokens('inputTokens'),
					outputTokens: tokens('outputTokens'),
					steps: 2,
					toolCalls: 1,
					attempts: 1,
				}),
			},
		])
		expect(tool).toEqual({
			...modelCall,
			kind: 'tool',
			dim: 'run_js',
			outcome: 'ok',
			// run_js ran in a Worker Loader isolate, as a job from the queue.
			details: ['isolate', '', ''],
			doubles: doubles({ durationMs: any, queueWaitMs: any, bytes: positive }),
		})
		expect(metrics.of('tool', 'metered')).toHaveLength(1)
	})

	it('measures a lane tool where it ran', async () => {
		await send('m-lane', { agent: 'metered', content: '/tool time_now {}', wait: true })
		const tools = metrics.of('tool', 'metered').filter((p) => p.dim === 'time_now')
		expect(tools).toEqual([expect.objectContaining({ outcome: 'ok', details: ['lane', '', ''] })])
		expect(tools[0]?.doubles.queueWaitMs).toBe(0)
	})
})

describe('failover', () => {
	it('writes the failed call as the first and the next model’s as a failover', async () => {
		const { run } = await send('m-failover', { agent: 'failing', content: '/fail 422', wait: true })
		expect(run.error?.code).toBe('models_exhausted')
		const call = (dim: string, failover: boolean) => ({
			index: 'default',
			kind: 'model_call',
			tenant: 'default',
			agent: 'failing',
			traceId: traced,
			dim,
			outcome: 'request',
			details: ['offline', '', failover ? 'failover' : 'first'],
			doubles: doubles({
				durationMs: any,
				error: 1,
				costKnown: 1,
				status: 422,
				value: failover ? 1 : 0,
			}),
		})
		expect(metrics.of('model_call', 'failing')).toEqual([
			call('offline:echo', false),
			call('offline:backup', true),
		])
		expect(metrics.of('run', 'failing')).toEqual([
			expect.objectContaining({
				outcome: 'failed',
				details: ['models_exhausted', 'followup', ''],
				doubles: expect.objectContaining({ error: 1, steps: 2 }),
			}),
		])
	})
})

describe('channel webhooks and deliveries', () => {
	const TENANT = 'metrics-tg'
	const SECRET = 'hook-secret-0123456789'
	const hook = (channelId: string, secret: string, body: unknown) =>
		call(`/hooks/${TENANT}/${channelId}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
			body: JSON.stringify(body),
		})

	beforeAll(async () => {
		await prepareTenant(TENANT, { TG_TOKEN: '123:abc', TG_SECRET: SECRET })
		const res = await admin('/v1/channels', {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': TENANT },
			body: JSON.stringify({
				id: 'tg-metrics',
				kind: 'telegram',
				agent: 'main',
				config: {
					secrets: { botToken: 'TG_TOKEN', webhookSecret: 'TG_SECRET' },
					apiBase: 'https://tg-metrics.platform.test',
					dmPolicy: 'open',
				},
			}),
		})
		expect(res.status, await res.clone().text()).toBe(201)
	})

	const webhook = (over: Partial<ReadPoint>, status: number): ReadPoint => ({
		index: TENANT,
		kind: 'webhook',
		tenant: TENANT,
		agent: '',
		traceId: traced,
		dim: 'tg-metrics',
		outcome: 'accepted',
		details: ['telegram', '', ''],
		doubles: doubles({ durationMs: any, error: status >= 500 ? 1 : 0, status }),
		...over,
	})

	it('one webhook point per inbound request, and one delivery point per send', async () => {
		const from = metrics.points.length
		const message = {
			...telegramPrivateText,
			message: { ...telegramPrivateText.message, text: 'hi' },
		}
		expect((await hook('tg-metrics', SECRET, message)).status).toBe(200)
		expect((await hook('tg-metrics', SECRET, message)).status).toBe(200)
		expect((await hook('tg-metrics', 'wrong-secret', message)).status).toBe(401)
		expect((await hook('no-such-channel', SECRET, message)).status).toBe(401)
		expect(since(from, 'webhook')).toEqual([
			webhook({}, 200),
			webhook({ outcome: 'duplicate' }, 200),
			webhook({ outcome: 'unverified' }, 401),
			webhook(
				{
					index: PLATFORM_INDEX,
					tenant: PLATFORM_INDEX,
					dim: '',
					outcome: 'refused',
					details: ['', '', ''],
				},
				401,
			),
		])
		const [delivery] = await eventually(async () => {
			const d = since(from, 'delivery')
			return d.length > 0 ? d : undefined
		})
		expect(delivery).toEqual({
			index: TENANT,
			kind: 'delivery',
			tenant: TENANT,
			agent: 'main',
			// The outbox sends after the run: its tries are not in a request's or run's trace.
			traceId: '',
			dim: 'tg-metrics',
			outcome: 'sent',
			details: ['telegram', '', ''],
			doubles: doubles({ durationMs: any, bytes: 'echo: hi'.length, attempts: 1 }),
		})
		expect(platforms.calls.length).toBeGreaterThan(0)
	})
})

describe('rollups in D1', () => {
	it('agree with usage_daily: calls and tokens per agent and model', async () => {
		for (const content of ['hello', '/tool time_now {}', '/fail 422']) {
			await send('m-counted', { agent: 'counted', content, wait: true })
		}
		const expected = metrics.of('model_call', 'counted').length
		expect(expected).toBe(5)
		type Row = { model: string; calls: number; input: number; output: number }
		const usage = () =>
			env.DB.prepare(
				`SELECT model, calls, input_tokens AS input, output_tokens AS output FROM usage_daily
				 WHERE tenant_id = 'default' AND agent_id = 'counted' ORDER BY model`,
			).all<Row>()
		const rollups = () =>
			env.DB.prepare(
				`SELECT dim AS model, sum(count) AS calls, sum(input_tokens) AS input,
				 sum(output_tokens) AS output FROM metrics_minute WHERE tenant_id = 'default'
				 AND kind = 'model_call' AND agent_id = 'counted' GROUP BY dim ORDER BY dim`,
			).all<Row>()
		// Both are written in coalesced batches (every 5 s): wait until every call is in both.
		const [u, r] = await eventually(async () => {
			const [u, r] = [(await usage()).results, (await rollups()).results]
			const total = (rows: Row[]) => rows.reduce((n, row) => n + row.calls, 0)
			return total(u) === expected && total(r) === expected ? [u, r] : undefined
		})
		expect(r).toEqual(u)
		expect(u.map((row) => [row.model, row.calls])).toEqual([
			['offline:backup', 1],
			['offline:echo', 4],
		])
	})

	it('reach D1 from the gateway and the queue consumer too', async () => {
		const row = (kind: string, dim: string) =>
			eventually(
				async () =>
					(await env.DB.prepare('SELECT count FROM metrics_minute WHERE kind = ? AND dim = ?')
						.bind(kind, dim)
						.first<{ count: number }>()) ?? undefined,
			)
		expect((await row('request', 'GET /v1/agents')).count).toBeGreaterThan(0)
		expect((await row('tool', 'run_js')).count).toBe(1)
	})
})

// Last: aborting every object loses what other lanes had not written yet (their coalesced rows).
describe('a lane restart', () => {
	it('re-runs the run and still writes one run point, and one recovered point', async () => {
		const slow = await send('m-restart', { agent: 'restarted', content: '/slow 2000 survive' })
		await waitForRun('m-restart', slow.run.runId, (r) => r.status === 'running', {
			agent: 'restarted',
		})
		await abortAllDurableObjects()
		const done = await waitForRun('m-restart', slow.run.runId, undefined, { agent: 'restarted' })
		expect(done).toMatchObject({ status: 'succeeded', attempt: 2 })
		expect(metrics.of('run', 'restarted')).toEqual([
			expect.objectContaining({
				outcome: 'succeeded',
				doubles: expect.objectContaining({ attempts: 2, steps: 1 }),
			}),
		])
		expect(metrics.of('lane', 'restarted')).toEqual([
			expect.objectContaining({
				dim: 'recovered',
				outcome: 'recovered',
				doubles: doubles({ value: 1 }),
			}),
		])
		// The cut-off attempt's call never finished: only the second attempt's call is counted.
		expect(metrics.of('model_call', 'restarted')).toHaveLength(1)
	})
})
