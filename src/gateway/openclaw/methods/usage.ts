// The Control UI's usage view: `sessions.usage` answers from what edgeclaw records — tokens, calls,
// errors and latency per UTC day, agent and model (D1 `usage_daily`, the same rows as
// `GET /v1/usage`) — priced as the `model_call` metric prices them. edgeclaw does not record usage
// per session or count messages and tool calls per day, so it lists no sessions and those counts
// stay 0; a model priced nowhere adds to `missingCostEntries`, never a guessed cost.
// `usage.status` (provider quota windows) is empty: edgeclaw reads no provider's quota.
import { z } from 'zod'
import { database } from '../../../db/client'
import { usageRows, utcDay } from '../../../db/usage'
import { costOf, priceOf } from '../../../observability/prices'
import { allow, type Method, method } from './context'
import { agentOf } from './session-views'

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
const RANGE_DAYS = { '7d': 7, '30d': 30, '90d': 90, '1y': 365 } as const
const DAY_MS = 86_400_000

type UsageRow = Awaited<ReturnType<typeof usageRows>>[number]

/** OpenClaw's cost-and-token totals (edgeclaw has no prompt cache: its fields stay 0). */
const emptyTotals = () => ({
	input: 0,
	output: 0,
	cacheRead: 0,
	cacheWrite: 0,
	totalTokens: 0,
	totalCost: 0,
	inputCost: 0,
	outputCost: 0,
	cacheReadCost: 0,
	cacheWriteCost: 0,
	missingCostEntries: 0,
})
type Totals = ReturnType<typeof emptyTotals>

/** Adds one day row to totals, priced by the agent's own prices or the list's. */
function add(t: Totals, r: UsageRow, prices: Record<string, { input: number; output: number }>) {
	t.input += r.inputTokens
	t.output += r.outputTokens
	t.totalTokens += r.inputTokens + r.outputTokens
	const price = priceOf(r.model, prices)
	const input = costOf(price, r.inputTokens, 0)
	const output = costOf(price, 0, r.outputTokens)
	if (input === undefined || output === undefined) {
		t.missingCostEntries += 1
		return
	}
	t.inputCost += input
	t.outputCost += output
	t.totalCost += input + output
}

const grouped = <K>(map: Map<K, Totals>, key: K): Totals => {
	const found = map.get(key)
	if (found) return found
	const fresh = emptyTotals()
	map.set(key, fresh)
	return fresh
}

const usage = method({
	scope: 'operator.read',
	params: z
		.object({
			key: z.string().min(1).max(300).optional(),
			agentId: z.string().min(1).max(64).optional(),
			startDate: Day.optional(),
			endDate: Day.optional(),
			range: z.enum(['7d', '30d', '90d', '1y', 'all']).optional(),
			limit: z.number().int().min(1).optional(),
		})
		.loose(),
	async handle(ctx, p) {
		await allow(ctx, 'usage:read', 'usage')
		const today = utcDay(ctx.now())
		const endDate = p.endDate ?? today
		const startDate =
			p.startDate ??
			(p.range === 'all'
				? '1970-01-01'
				: utcDay(Date.parse(`${endDate}T00:00:00Z`) - (RANGE_DAYS[p.range ?? '30d'] - 1) * DAY_MS))
		// Usage is not recorded per session: a session's own usage (`key`) is unknown here.
		const rows =
			p.key === undefined
				? (
						await usageRows(database(ctx.env.DB), ctx.principal.tenantId, startDate, endDate)
					).filter((r) => !p.agentId || r.agentId === p.agentId)
				: []
		const prices = new Map<string, Record<string, { input: number; output: number }>>()
		for (const id of new Set(rows.map((r) => r.agentId))) {
			prices.set(id, (await agentOf(ctx, id))?.config.prices ?? {})
		}
		const totals = emptyTotals()
		const byModel = new Map<string, Totals>()
		const byProvider = new Map<string, Totals>()
		const byAgent = new Map<string, Totals>()
		const byDay = new Map<string, Totals>()
		const calls = new Map<string, number>()
		const modelDaily: Record<string, unknown>[] = []
		const daily = new Map<string, { tokens: number; cost: number; errors: number }>()
		for (const r of rows) {
			const own = prices.get(r.agentId) ?? {}
			const provider = r.model.slice(0, r.model.indexOf(':'))
			for (const t of [
				totals,
				grouped(byModel, r.model),
				grouped(byProvider, provider),
				grouped(byAgent, r.agentId),
				grouped(byDay, r.day),
			])
				add(t, r, own)
			calls.set(r.model, (calls.get(r.model) ?? 0) + r.calls)
			calls.set(provider, (calls.get(provider) ?? 0) + r.calls)
			const one = emptyTotals()
			add(one, r, own)
			modelDaily.push({
				date: r.day,
				provider,
				model: r.model.slice(provider.length + 1),
				tokens: one.totalTokens,
				cost: one.totalCost,
				count: r.calls,
			})
			const day = daily.get(r.day) ?? { tokens: 0, cost: 0, errors: 0 }
			day.tokens += one.totalTokens
			day.cost += one.totalCost
			day.errors += r.errors
			daily.set(r.day, day)
		}
		const byCost = (a: { totals: Totals }, b: { totals: Totals }) =>
			b.totals.totalCost - a.totals.totalCost || b.totals.totalTokens - a.totals.totalTokens
		return {
			updatedAt: ctx.now(),
			startDate,
			endDate,
			timeZone: 'UTC',
			sessions: [],
			totals,
			aggregates: {
				sessionCount: 0,
				messages: { total: 0, user: 0, assistant: 0, toolCalls: 0, toolResults: 0, errors: 0 },
				tools: { totalCalls: 0, uniqueTools: 0, tools: [] },
				byModel: [...byModel]
					.map(([ref, t]) => ({
						provider: ref.slice(0, ref.indexOf(':')),
						model: ref.slice(ref.indexOf(':') + 1),
						count: calls.get(ref) ?? 0,
						totals: t,
					}))
					.sort(byCost),
				byProvider: [...byProvider]
					.map(([provider, t]) => ({ provider, count: calls.get(provider) ?? 0, totals: t }))
					.sort(byCost),
				byAgent: [...byAgent].map(([agentId, t]) => ({ agentId, totals: t })).sort(byCost),
				byChannel: [],
				byCreator: [],
				costDaily: [...byDay].map(([date, t]) => ({ date, ...t })),
				dailyLatency: [],
				modelDaily,
				daily: [...daily].map(([date, d]) => ({
					date,
					tokens: d.tokens,
					cost: d.cost,
					messages: 0,
					toolCalls: 0,
					errors: d.errors,
				})),
			},
			creatorOptions: [],
		}
	},
})

/** Provider quota windows: edgeclaw reads none from its providers. */
const status = method({
	scope: 'operator.read',
	params: z.object({}).loose(),
	async handle(ctx) {
		return { updatedAt: ctx.now(), providers: [] }
	},
})

export const usageMethods: Record<string, Method> = {
	'sessions.usage': usage,
	'usage.status': status,
}
