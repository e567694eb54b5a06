// The Control UI's usage page against edgeclaw's day totals, with the frame the page sends:
// tokens and cost per day, model, provider and agent, priced as the model_call metric prices them.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { key, tenant } from '../../security/helpers'
import { controlUi, controlUiConnect } from './fixtures/openclaw-clients'
import { connected } from './wire'

let operator: string

beforeAll(async () => {
	await tenant('ocusage')
	operator = (await key('ocusage', 'operator')).secret
})

describe('openclaw control ui: usage', () => {
	it('the usage page: tokens and cost per day, model, provider and agent from the day totals', async () => {
		const insert = env.DB.prepare(
			`INSERT INTO usage_daily (tenant_id, day, agent_id, model, calls, errors, input_tokens, output_tokens, latency_ms)
			 VALUES ('ocusage', ?, ?, ?, ?, ?, ?, ?, ?)`,
		)
		await env.DB.batch([
			insert.bind('2026-01-01', 'main', 'openai:gpt-4o', 3, 0, 1_000_000, 100_000, 900),
			insert.bind('2026-01-02', 'main', 'openai:gpt-4o', 1, 1, 0, 0, 300),
			// A model priced nowhere: counted as a missing cost, never guessed.
			insert.bind('2026-01-02', 'private', 'corp:gpt-internal', 2, 0, 500, 50, 200),
		])
		const wire = await connected(operator, controlUiConnect(operator))
		// The page asks without params at all.
		wire.send({ type: 'req', id: 'usage-status', method: 'usage.status' })
		const quota = await wire.next((f) => f.id === 'usage-status')
		expect(quota.payload).toMatchObject({ providers: [] })
		const usage = await wire.request('sessions.usage', controlUi.usage('2026-01-01', '2026-01-02'))
		expect(usage.payload).toMatchObject({
			startDate: '2026-01-01',
			endDate: '2026-01-02',
			sessions: [],
			totals: {
				input: 1_000_500,
				output: 100_050,
				totalTokens: 1_100_550,
				// gpt-4o at its list price: $2.50 per million in, $10 per million out.
				totalCost: 3.5,
				missingCostEntries: 1,
			},
		})
		// biome-ignore lint/suspicious/noExplicitAny: a wire payload, asserted field by field
		const a = usage.payload?.aggregates as Record<string, any>
		expect(a.byModel).toEqual([
			expect.objectContaining({ provider: 'openai', model: 'gpt-4o', count: 4 }),
			expect.objectContaining({ provider: 'corp', model: 'gpt-internal', count: 2 }),
		])
		expect(a.byAgent.map((g: { agentId: string }) => g.agentId)).toEqual(['main', 'private'])
		expect(a.daily).toEqual([
			{ date: '2026-01-01', tokens: 1_100_000, cost: 3.5, messages: 0, toolCalls: 0, errors: 0 },
			{ date: '2026-01-02', tokens: 550, cost: 0, messages: 0, toolCalls: 0, errors: 1 },
		])
		const one = await wire.request('sessions.usage', {
			...controlUi.usage('2026-01-01', '2026-01-02'),
			agentId: 'private',
		})
		expect(one.payload?.totals).toMatchObject({ totalTokens: 550, missingCostEntries: 1 })
		const bad = await wire.request('sessions.usage', { startDate: 'January' })
		expect(bad.error?.code).toBe('INVALID_REQUEST')
		wire.ws.close(1000)
	})
})
