// The agent loop through the whole stack (HTTP → lane → loop → offline model → tools), usage
// accounting in D1 and Analytics Engine, and the daily token budget.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { utcDay } from '../../src/db/usage'
import type { MessageView, RunView } from '../../src/lanes/types'
import type { MetricPoint } from '../../src/observability/metrics'
import { modelCallMetric, UsageRecorder } from '../../src/observability/usage'
import { silentLogger } from '../fakes/logs'
import { admin, createAgent, eventually, postJson, problem, send, waitForRun } from '../helpers'

async function messages(key: string, agent = 'main'): Promise<MessageView[]> {
	const res = await admin(`/v1/sessions/${key}/messages?agent=${agent}`)
	return ((await res.json()) as { messages: MessageView[] }).messages
}

async function run(key: string, runId: string, agent = 'main'): Promise<RunView> {
	return (await (await admin(`/v1/sessions/${key}/runs/${runId}?agent=${agent}`)).json()) as RunView
}

describe('tools with the offline model', () => {
	it('calls a tool, feeds the result back, and answers with a summary (two model steps)', async () => {
		const { run: r } = await send('tool-1', {
			content: '/tool time_now {"timezone":"Europe/Paris"}',
			wait: true,
		})
		expect(r.status).toBe('succeeded')
		expect(r.output).toMatch(/^time_now returned \{"iso":"\d{4}-/)
		const ms = await messages('tool-1')
		expect(ms.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant'])
		const call = ms[1]?.content[0]
		expect(call).toMatchObject({
			type: 'tool-call',
			name: 'time_now',
			args: '{"timezone":"Europe/Paris"}',
		})
		const result = ms[2]?.content[0]
		expect(result?.type === 'tool-result' && JSON.parse(result.result)).toMatchObject({
			timezone: 'Europe/Paris',
		})
		const full = await run('tool-1', r.runId)
		expect(full.calls.map((c) => c.outcome)).toEqual(['ok', 'ok'])
		expect(full.usage?.inputTokens).toBe(full.calls.reduce((n, c) => n + c.inputTokens, 0))
	})

	it('runs several calls of one step and returns tool errors to the model, not to the user', async () => {
		const { run: r } = await send('tool-2', {
			content: '/tool time_now {"timezone":"Mars/Olympus"}',
			wait: true,
		})
		expect(r.status).toBe('succeeded')
		expect(r.output).toContain(
			'time_now failed Tool "time_now" failed: unknown time zone "Mars/Olympus"',
		)
		const bad = await send('tool-2', { content: '/tool time_now {"timezone":5}', wait: true })
		expect(bad.run.output).toContain('time_now failed Invalid arguments for "time_now"')
		const junk = await send('tool-2', { content: '/tool session_status {not json', wait: true })
		expect(junk.run.output).toBe('session_status failed The arguments are not valid JSON.')
		const both = await send('tool-2', {
			content: [{ type: 'text', text: '/tool session_status {}' }],
			mode: 'followup',
			wait: true,
		})
		expect(both.run.output).toMatch(
			/^session_status returned \{"tenant":"default","agent":"main","session":"tool-2"/,
		)
	})

	it('takes a steered message at the next step, after the tool results', async () => {
		const first = await send('tool-steer', { content: '/slow 2000 /tool session_status {}' })
		await waitForRun('tool-steer', first.run.runId, (r) => r.status === 'running')
		const steer = await send('tool-steer', { content: 'and the weather?', mode: 'steer' })
		expect(steer.run.disposition).toBe('steered')
		const done = await waitForRun('tool-steer', first.run.runId)
		expect(done.output).toBe('echo: and the weather?')
		const ms = await messages('tool-steer')
		expect(ms.map((m) => `${m.role}:${m.content[0]?.type}`)).toEqual([
			'user:text',
			'assistant:tool-call',
			'tool:tool-result',
			'user:text',
			'assistant:text',
		])
		expect(ms.every((m) => m.runId === first.run.runId)).toBe(true)
	})

	it('offers only the tools the agent may use (default deny)', async () => {
		await createAgent(env.DB, 'no-clock', { tools: { profile: 'minimal', deny: ['time_now'] } })
		const { run: r } = await send('tool-3', {
			agent: 'no-clock',
			content: '/tool time_now {}',
			wait: true,
		})
		expect(r.output).toBe('echo: tool "time_now" is not available')
		await createAgent(env.DB, 'no-tools', { limits: { maxToolSteps: 0 } })
		const none = await send('tool-3', {
			agent: 'no-tools',
			content: '/tool session_status {}',
			wait: true,
		})
		expect(none.run.output).toBe('echo: tool "session_status" is not available')
	})
})

describe('usage accounting', () => {
	it('adds every model call to the D1 day totals of its tenant, agent and model', async () => {
		await createAgent(env.DB, 'counted', {})
		await send('usage-1', { agent: 'counted', content: 'count me', wait: true })
		await send('usage-1', { agent: 'counted', content: '/tool session_status {}', wait: true })
		// Coalesced: the lane writes its calls once the 5 s interval has passed.
		const row = await eventually(async () => {
			const r = await env.DB.prepare(
				"SELECT * FROM usage_daily WHERE tenant_id = 'default' AND agent_id = 'counted'",
			).first<{
				day: string
				model: string
				calls: number
				input_tokens: number
				output_tokens: number
			}>()
			return r && r.calls === 3 ? r : undefined
		})
		expect(row).toMatchObject({ day: utcDay(Date.now()), model: 'offline:echo', calls: 3 })
		expect(row.input_tokens).toBeGreaterThan(0)
		expect(row.output_tokens).toBeGreaterThan(0)
	})

	it('writes one model_call point per call and coalesces D1 writes', async () => {
		const points: MetricPoint[] = []
		const writes: unknown[][] = []
		const waiting: Promise<unknown>[] = []
		const recorder = new UsageRecorder({
			metrics: { write: (p) => points.push(p) },
			write: async (d) => {
				writes.push(d)
			},
			intervalMs: 60_000,
			waitUntil: (p) => waiting.push(p),
			logger: silentLogger(),
		})
		const agent = { tenantId: 't1', id: 'a1' }
		const ok = {
			model: 'anthropic:claude-sonnet-4-5',
			profile: 'a',
			inputTokens: 10,
			outputTokens: 5,
			latencyMs: 80,
			outcome: 'ok',
		}
		recorder.record(agent, [ok])
		recorder.record(agent, [
			{ ...ok, outcome: 'rate_limit', inputTokens: 0, outputTokens: 0, status: 429 },
			{ ...ok, failover: true },
		])
		await recorder.settled()
		await Promise.all(waiting)
		expect(points).toEqual([
			modelCallMetric(agent, ok),
			expect.objectContaining({ outcome: 'rate_limit', status: 429, failover: false }),
			expect.objectContaining({ outcome: 'ok', failover: true }),
		])
		expect(points[0]).toEqual({
			kind: 'model_call',
			tenant: 't1',
			agent: 'a1',
			model: 'anthropic:claude-sonnet-4-5',
			provider: 'anthropic',
			profile: 'a',
			outcome: 'ok',
			latencyMs: 80,
			inputTokens: 10,
			outputTokens: 5,
			// $3 / $15 per million tokens.
			costUsd: (10 * 3 + 5 * 15) / 1_000_000,
			failover: false,
		})
		// Nothing is written before the interval (or settled()); then all three calls go as one row.
		expect(writes).toEqual([
			[
				expect.objectContaining({
					calls: 3,
					errors: 1,
					inputTokens: 20,
					outputTokens: 10,
					latencyMs: 240,
				}),
			],
		])
	})
})

describe('daily token budget', () => {
	it('rejects new runs with 429 budget_exhausted once the tenant used its budget today', async () => {
		for (const id of ['thrifty', 'roomy']) {
			await env.DB.prepare('INSERT INTO tenants (id, name, settings) VALUES (?, ?, ?)')
				.bind(id, id, JSON.stringify({ dailyTokenBudget: 1_000 }))
				.run()
			await createAgent(env.DB, 'main', {}, id)
		}
		await env.DB.prepare(
			'INSERT INTO usage_daily (tenant_id, day, agent_id, model, calls, input_tokens, output_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)',
		)
			.bind('thrifty', utcDay(Date.now()), 'main', 'offline:echo', 3, 900, 150)
			.run()
		const res = await postJson(
			'/v1/sessions/b-1/messages',
			{ content: 'one more', wait: true },
			{ 'x-edgeclaw-tenant': 'thrifty' },
		)
		expect(res.status).toBe(429)
		const p = await problem(res)
		expect(p.code).toBe('budget_exhausted')
		expect(p.detail).toContain('used 1050 of its 1000 tokens')
		const retry = Number(res.headers.get('retry-after'))
		expect(retry).toBeGreaterThan(0)
		expect(retry).toBeLessThanOrEqual(86_400)
		const fine = await postJson(
			'/v1/sessions/b-1/messages',
			{ content: 'under budget', wait: true },
			{ 'x-edgeclaw-tenant': 'roomy' },
		)
		expect(fine.status).toBe(200)
	})
})
