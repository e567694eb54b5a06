// Answers of the metrics views, the alerts, the lanes and a run trace as the gateway gives them:
// typed with the app's types (generated from the gateway's OpenAPI document), every metrics answer
// also parsed with the server's own schemas and the trace typed with its own type, so these
// fixtures cannot drift from the API unnoticed.
import {
	ErrorsMetrics,
	LatencyMetrics,
	OverviewMetrics,
	TokensMetrics,
	ToolsMetrics,
} from '../../../src/gateway/routes/metrics/schemas'
import type { RunTrace as ServerRunTrace } from '../../../src/observability/spans'
import type {
	AlertEpisode,
	LaneHealth,
	MetricsByView,
	MetricView,
	RunTrace,
} from '../../src/console/metrics-types'

/** A whole minute, so every step starts on one. */
export const T0 = 1_772_000_040_000
const STEP = 60
const at = (i: number) => T0 + i * STEP * 1000

const envelope = <V extends MetricView>(view: V) => ({
	view,
	source: 'd1' as const,
	tenant: 'acme',
	agent: null,
	from: T0,
	to: at(3),
	stepSeconds: STEP,
})

/** Three steps: traffic in the first and the last, nothing in the middle one. */
export function fullAnswers(): MetricsByView {
	const overview = OverviewMetrics.parse({
		...envelope('overview'),
		series: [
			[10, 1, 4, 1, 6, 300, 120, 0.01, 3, 1],
			[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
			[5, 0, 2, 0, 3, 200, 80, 0.0023, 2, 0],
		].map(
			(
				[requests, errors, runs, runsFailed, modelCalls, i, o, cost, toolRuns, toolFailures],
				n,
			) => ({
				t: at(n),
				requests,
				errors,
				runs,
				runsFailed,
				modelCalls,
				inputTokens: i,
				outputTokens: o,
				costUsd: cost,
				toolRuns,
				toolFailures,
			}),
		),
		totals: {
			requests: 15,
			errors: 1,
			runs: 6,
			runsFailed: 1,
			modelCalls: 9,
			inputTokens: 500,
			outputTokens: 200,
			costUsd: 0.0123,
			toolRuns: 5,
			toolFailures: 1,
			errorRate: 1 / 15,
			failovers: 2,
			deliveriesFailed: 3,
			webhooks: 4,
			laneRecoveries: 1,
			laneCompactions: 2,
			stuckRuns: 1,
			turnP50Ms: 850,
			turnP95Ms: 2_400,
		},
		breakdown: [{ agent: 'main', runs: 6, runsFailed: 1, costUsd: 0.0123 }],
	})
	const latency = LatencyMetrics.parse({
		...envelope('latency'),
		series: [
			{
				t: at(0),
				requestP50Ms: 12,
				requestP95Ms: 80,
				turnP50Ms: 800,
				turnP95Ms: 2_400,
				modelP50Ms: 600,
				modelP95Ms: 1_900,
			},
			{
				t: at(1),
				requestP50Ms: null,
				requestP95Ms: null,
				turnP50Ms: null,
				turnP95Ms: null,
				modelP50Ms: null,
				modelP95Ms: null,
			},
			{
				t: at(2),
				requestP50Ms: 10,
				requestP95Ms: 40,
				turnP50Ms: 900,
				turnP95Ms: 1_500,
				modelP50Ms: 700,
				modelP95Ms: 1_200,
			},
		],
		totals: {
			requestP50Ms: 11,
			requestP95Ms: 75,
			turnP50Ms: 850,
			turnP95Ms: 2_400,
			modelP50Ms: 650,
			modelP95Ms: 1_900,
		},
		breakdown: [
			{ kind: 'request', key: 'POST /v1/sessions/:key/messages', count: 6, p50Ms: 14, p95Ms: 80 },
			{ kind: 'model_call', key: 'anthropic:claude', count: 9, p50Ms: 650, p95Ms: 1_900 },
		],
	})
	const tokens = TokensMetrics.parse({
		...envelope('tokens'),
		series: [
			{ t: at(0), inputTokens: 300, outputTokens: 120, costUsd: 0.01 },
			{ t: at(1), inputTokens: 0, outputTokens: 0, costUsd: 0 },
			{ t: at(2), inputTokens: 200, outputTokens: 80, costUsd: 0.0023 },
		],
		totals: { inputTokens: 500, outputTokens: 200, costUsd: 0.0123 },
		breakdown: [
			{
				agent: 'bot',
				model: 'offline:echo',
				calls: 3,
				errors: 0,
				inputTokens: 100,
				outputTokens: 40,
				costUsd: 0,
				costComplete: false,
			},
			{
				agent: 'main',
				model: 'anthropic:claude',
				calls: 6,
				errors: 1,
				inputTokens: 400,
				outputTokens: 160,
				costUsd: 0.0123,
				costComplete: true,
			},
		],
	})
	const tools = ToolsMetrics.parse({
		...envelope('tools'),
		series: [
			{ t: at(0), runs: 3, failures: 1 },
			{ t: at(1), runs: 0, failures: 0 },
			{ t: at(2), runs: 2, failures: 0 },
		],
		totals: { runs: 5, failures: 1 },
		breakdown: [
			{
				tool: 'web_fetch',
				runs: 5,
				failures: 1,
				p50Ms: 320,
				p95Ms: 1_250,
				queueWaitMs: 40,
				bytes: 20_480,
			},
		],
	})
	const errors = ErrorsMetrics.parse({
		...envelope('errors'),
		series: [
			[2, 1, 1, 2, 1, 3],
			[0, 0, 0, 0, 0, 0],
			[1, 0, 0, 0, 0, 0],
		].map(([r4, r5, runs, model, tool, deliveries], n) => ({
			t: at(n),
			requests4xx: r4,
			requests5xx: r5,
			runsFailed: runs,
			modelFailures: model,
			toolFailures: tool,
			deliveriesFailed: deliveries,
		})),
		totals: {
			requests4xx: 3,
			requests5xx: 1,
			runsFailed: 1,
			modelFailures: 2,
			toolFailures: 1,
			deliveriesFailed: 3,
		},
		breakdown: [
			{ kind: 'request', key: 'GET /v1/sessions/:key', outcome: '4xx', count: 3 },
			{ kind: 'delivery', key: 'telegram-support', outcome: 'failed', count: 3 },
			{ kind: 'model_call', key: 'anthropic:claude', outcome: 'rate_limit', count: 2 },
		],
	})
	return typed({ overview, latency, tokens, tools, errors })
}

/**
 * The server's envelope types `view` as any view (its schema's literal is built from a parameter),
 * so each answer gets its own literal back; every other field is checked against the app's types.
 */
function typed(answers: { [V in MetricView]: Omit<MetricsByView[V], 'view'> }): MetricsByView {
	return {
		overview: { ...answers.overview, view: 'overview' },
		latency: { ...answers.latency, view: 'latency' },
		tokens: { ...answers.tokens, view: 'tokens' },
		tools: { ...answers.tools, view: 'tools' },
		errors: { ...answers.errors, view: 'errors' },
	}
}

/** A window with nothing in it: zero counts, unmeasured latencies, no breakdown rows. */
export function emptyAnswers(): MetricsByView {
	const full = fullAnswers()
	const zero = <T extends object>(o: T): T =>
		Object.fromEntries(
			Object.entries(o).map(([k, v]) => [k, k === 't' ? v : typeof v === 'number' ? 0 : v]),
		) as T
	const unmeasured = <T extends object>(o: T): T =>
		Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 't' ? v : null])) as T
	return typed({
		overview: OverviewMetrics.parse({
			...full.overview,
			series: full.overview.series.map(zero),
			totals: {
				...zero(full.overview.totals),
				errorRate: null,
				turnP50Ms: null,
				turnP95Ms: null,
			},
			breakdown: [],
		}),
		latency: LatencyMetrics.parse({
			...full.latency,
			series: full.latency.series.map(unmeasured),
			totals: unmeasured(full.latency.totals),
			breakdown: [],
		}),
		tokens: TokensMetrics.parse({
			...full.tokens,
			series: full.tokens.series.map(zero),
			totals: zero(full.tokens.totals),
			breakdown: [],
		}),
		tools: ToolsMetrics.parse({
			...full.tools,
			series: full.tools.series.map(zero),
			totals: zero(full.tools.totals),
			breakdown: [],
		}),
		errors: ErrorsMetrics.parse({
			...full.errors,
			series: full.errors.series.map(zero),
			totals: zero(full.errors.totals),
			breakdown: [],
		}),
	})
}

export const ALERTS: AlertEpisode[] = [
	{
		id: 'al1',
		rule: 'error_rate',
		status: 'open',
		value: 0.12,
		threshold: 0.05,
		openedAt: T0,
		resolvedAt: null,
		notified: 'sent',
	},
	{
		id: 'al2',
		rule: 'latency_p95',
		status: 'resolved',
		value: 9_000,
		threshold: 8_000,
		openedAt: T0 - 3_600_000,
		resolvedAt: T0 - 1_800_000,
		notified: 'none',
	},
]

export const LANES: LaneHealth[] = [
	{
		tenantId: 'acme',
		agent: 'main',
		sessionKey: 'busy',
		messageCount: 12,
		queuedRuns: 4,
		stuckSince: null,
		lastRunId: 'r9',
		lastRunStatus: 'running',
		createdAt: T0 - 86_400_000,
		updatedAt: T0,
	},
	{
		tenantId: 'beta',
		agent: 'bot',
		sessionKey: 'wedged',
		messageCount: 3,
		queuedRuns: 1,
		stuckSince: T0 - 600_000,
		lastRunId: 'r7',
		lastRunStatus: 'running',
		createdAt: T0 - 86_400_000,
		updatedAt: T0,
	},
]

const span = (
	id: string,
	kind: RunTrace['root']['kind'],
	name: string,
	offsetMs: number,
	durationMs: number | null,
	children: RunTrace['root'][] = [],
	status: RunTrace['root']['status'] = 'ok',
): RunTrace['root'] => ({
	id,
	kind,
	name,
	startedAt: T0 + offsetMs,
	durationMs,
	status,
	attributes: { kind },
	children,
})

/**
 * A run of 1 s: 100 ms queued, a model call, a tool call (its job queued 50 ms, run 250 ms) and an
 * approval still waiting (open, so it runs to the root's end).
 */
export const TRACE: RunTrace & ServerRunTrace = {
	traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
	runId: 'r1',
	agentId: 'main',
	sessionKey: 's1',
	root: span('run', 'run', 'run', 0, 1_000, [
		span('queue', 'queue', 'queue wait', 0, 100),
		span('m1', 'model', 'model anthropic:claude', 100, 400),
		span('t1', 'tool', 'tool web_fetch', 500, 300, [
			span('t1q', 'tool.queue', 'job queue', 500, 50),
			span('t1x', 'tool.exec', 'execute', 550, 250, [], 'error'),
		]),
		span('a1', 'approval', 'approval time_now', 900, null, [], 'running'),
	]),
}
