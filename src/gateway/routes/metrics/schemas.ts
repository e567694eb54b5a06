// The shapes of GET /v1/metrics/{view}: one envelope for every view (window, step, which source
// answered), a time series of fixed-step points, totals over the window and a breakdown. Both
// sources — Analytics Engine's SQL API and the D1 rollups — answer in exactly these shapes.
import { z } from '@hono/zod-openapi'
import { Slug } from '../../../agents/slug'

export const METRIC_VIEWS = ['overview', 'latency', 'tokens', 'tools', 'errors'] as const
export const MetricView = z.enum(METRIC_VIEWS)
export type MetricView = z.infer<typeof MetricView>

export const MetricsSource = z.enum(['analytics-engine', 'd1']).openapi({
	description:
		'Who answered: the Analytics Engine SQL API (production, sampled and weighted by `_sample_interval`) or the D1 per-minute rollups (local development, or when the SQL API is not configured)',
})

// The window rules (from before to, at most 31 days, at most 1,500 steps, step whole minutes) are
// checked by parseMetricsWindow, which names the rule broken in the problem's `reason`.
export const MetricsQuery = z.object({
	from: z.string().max(40).optional().openapi({
		description:
			'Epoch ms or ISO 8601 time (a time needs `Z` or an offset); default: `to` minus one hour',
	}),
	to: z
		.string()
		.max(40)
		.optional()
		.openapi({ description: 'Epoch ms or ISO 8601 time, at the latest 2100-01-01; default: now' }),
	agent: Slug.optional().openapi({ description: "Only this agent's points" }),
	step: z.coerce.number().optional().openapi({
		type: 'integer',
		minimum: 60,
		maximum: 86_400,
		multipleOf: 60,
		description:
			'Series step in seconds, whole minutes; default: the window / 60, rounded up to a minute. The window widens to whole steps since the epoch',
	}),
	source: MetricsSource.optional().openapi({
		description: 'Ask a store by name; default: Analytics Engine when configured, else D1',
	}),
})

const count = z.number().nonnegative()
const ms = z.number().nonnegative().nullable()

/** overview: traffic, errors, runs, tokens, cost, tools, failovers and lane health. */
export const OverviewPoint = z.object({
	t: z.number().int(),
	requests: count,
	/** Requests answered 5xx. */
	errors: count,
	runs: count,
	runsFailed: count,
	modelCalls: count,
	inputTokens: count,
	outputTokens: count,
	costUsd: count,
	toolRuns: count,
	toolFailures: count,
})
export const OverviewTotals = OverviewPoint.omit({ t: true }).extend({
	/** errors / requests; null without requests. */
	errorRate: z.number().nullable(),
	/** Model calls made after an earlier target or profile of the same step failed. */
	failovers: count,
	deliveriesFailed: count,
	webhooks: count,
	laneRecoveries: count,
	laneCompactions: count,
	stuckRuns: count,
	turnP50Ms: ms,
	turnP95Ms: ms,
})

/** latency: p50/p95 of requests, turns (runs) and model calls. */
export const LatencyPoint = z.object({
	t: z.number().int(),
	requestP50Ms: ms,
	requestP95Ms: ms,
	turnP50Ms: ms,
	turnP95Ms: ms,
	modelP50Ms: ms,
	modelP95Ms: ms,
})
export const LatencyRow = z.object({
	kind: z.enum(['request', 'run', 'model_call']),
	/** Route template (`GET /v1/...`), or model. */
	key: z.string(),
	count,
	p50Ms: ms,
	p95Ms: ms,
})

/** tokens: tokens and cost by agent and model. */
export const TokensPoint = z.object({
	t: z.number().int(),
	inputTokens: count,
	outputTokens: count,
	costUsd: count,
})
export const TokensRow = z.object({
	agent: z.string(),
	model: z.string(),
	calls: count,
	errors: count,
	inputTokens: count,
	outputTokens: count,
	/** Sum over the calls whose price is known. */
	costUsd: count,
	/** False when some calls of the row had no known price. */
	costComplete: z.boolean(),
})

/** tools: runs and failures by tool. */
export const ToolsPoint = z.object({ t: z.number().int(), runs: count, failures: count })
export const ToolsRow = z.object({
	tool: z.string(),
	runs: count,
	failures: count,
	p50Ms: ms,
	p95Ms: ms,
	queueWaitMs: z.number().nonnegative().nullable().openapi({ description: 'Mean job queue wait' }),
	bytes: count,
})

/** errors: failures of every kind over time, and the most frequent ones. */
export const ErrorsPoint = z.object({
	t: z.number().int(),
	requests4xx: count,
	requests5xx: count,
	runsFailed: count,
	modelFailures: count,
	toolFailures: count,
	deliveriesFailed: count,
})
export const ErrorsRow = z.object({
	kind: z.string(),
	/** Route, model, tool or channel. */
	key: z.string(),
	/** Status class, failure class or error code. */
	outcome: z.string(),
	count,
})

// Generic in the view, so each answer's `view` is its own literal type (the union discriminates).
const envelope = <
	V extends MetricView,
	P extends z.ZodTypeAny,
	T extends z.ZodTypeAny,
	R extends z.ZodTypeAny,
>(
	view: V,
	point: P,
	totals: T,
	row: R,
) =>
	z.object({
		view: z.literal(view),
		source: MetricsSource,
		/** The tenant asked about, or `*` for a platform admin's view across tenants. */
		tenant: z.string(),
		agent: z.string().nullable(),
		from: z.number().int(),
		to: z.number().int(),
		stepSeconds: z.number().int(),
		series: z.array(point),
		totals,
		breakdown: z.array(row),
	})

export const OverviewMetrics = envelope(
	'overview',
	OverviewPoint,
	OverviewTotals,
	z.object({ agent: z.string(), runs: count, runsFailed: count, costUsd: count }),
).openapi('OverviewMetrics')
export const LatencyMetrics = envelope(
	'latency',
	LatencyPoint,
	LatencyPoint.omit({ t: true }),
	LatencyRow,
).openapi('LatencyMetrics')
export const TokensMetrics = envelope(
	'tokens',
	TokensPoint,
	TokensPoint.omit({ t: true }),
	TokensRow,
).openapi('TokensMetrics')
export const ToolsMetrics = envelope(
	'tools',
	ToolsPoint,
	ToolsPoint.omit({ t: true }),
	ToolsRow,
).openapi('ToolsMetrics')
export const ErrorsMetrics = envelope(
	'errors',
	ErrorsPoint,
	ErrorsPoint.omit({ t: true }),
	ErrorsRow,
).openapi('ErrorsMetrics')

export const MetricsAnswer = z
	.discriminatedUnion('view', [
		OverviewMetrics,
		LatencyMetrics,
		TokensMetrics,
		ToolsMetrics,
		ErrorsMetrics,
	])
	.openapi('Metrics')
export type MetricsAnswer = z.infer<typeof MetricsAnswer>
