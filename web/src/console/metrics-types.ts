// The shapes the Dashboard and the trace waterfall read, as the gateway sends them: the metrics
// views (src/gateway/routes/metrics/schemas.ts), the tenant's alerts and the platform's lanes,
// mirrored here because their server types are zod schemas the app does not bundle
// (web/test/console/metrics-fixtures.ts checks every fixture against them); the run trace is
// src/observability/spans.ts's own types, which import nothing.

export const METRIC_VIEWS = ['overview', 'latency', 'tokens', 'tools', 'errors'] as const
export type MetricView = (typeof METRIC_VIEWS)[number]

/** Who answered: Analytics Engine's SQL API (sampled, weighted) or the D1 per-minute rollups. */
export type MetricsSource = 'analytics-engine' | 'd1'

/** A duration in ms; null when nothing was measured. */
type Ms = number | null

interface Envelope<V extends MetricView, P, T, R> {
	view: V
	source: MetricsSource
	/** The tenant asked about, or `*` across tenants. */
	tenant: string
	agent: string | null
	/** Epoch ms. */
	from: number
	to: number
	stepSeconds: number
	series: P[]
	totals: T
	breakdown: R[]
}

export interface OverviewPoint {
	t: number
	requests: number
	/** Requests answered 5xx. */
	errors: number
	runs: number
	runsFailed: number
	modelCalls: number
	inputTokens: number
	outputTokens: number
	costUsd: number
	toolRuns: number
	toolFailures: number
}

export interface OverviewTotals extends Omit<OverviewPoint, 't'> {
	/** errors / requests; null without requests. */
	errorRate: number | null
	failovers: number
	deliveriesFailed: number
	webhooks: number
	laneRecoveries: number
	laneCompactions: number
	stuckRuns: number
	turnP50Ms: Ms
	turnP95Ms: Ms
}

export interface OverviewRow {
	agent: string
	runs: number
	runsFailed: number
	costUsd: number
}

export interface LatencyPoint {
	t: number
	requestP50Ms: Ms
	requestP95Ms: Ms
	turnP50Ms: Ms
	turnP95Ms: Ms
	modelP50Ms: Ms
	modelP95Ms: Ms
}

export interface LatencyRow {
	kind: 'request' | 'run' | 'model_call'
	/** Route template (`GET /v1/...`), or model. */
	key: string
	count: number
	p50Ms: Ms
	p95Ms: Ms
}

export interface TokensPoint {
	t: number
	inputTokens: number
	outputTokens: number
	costUsd: number
}

export interface TokensRow {
	agent: string
	model: string
	calls: number
	errors: number
	inputTokens: number
	outputTokens: number
	/** Sum over the calls whose price is known. */
	costUsd: number
	/** False when some calls of the row had no known price. */
	costComplete: boolean
}

export interface ToolsPoint {
	t: number
	runs: number
	failures: number
}

export interface ToolsRow {
	tool: string
	runs: number
	failures: number
	p50Ms: Ms
	p95Ms: Ms
	/** Mean job queue wait. */
	queueWaitMs: Ms
	bytes: number
}

export interface ErrorsPoint {
	t: number
	requests4xx: number
	requests5xx: number
	runsFailed: number
	modelFailures: number
	toolFailures: number
	deliveriesFailed: number
}

export interface ErrorsRow {
	/** The metric kind: request, run, model_call, tool, delivery, … */
	kind: string
	/** Route, model, tool or channel. */
	key: string
	/** Status class, failure class or error code. */
	outcome: string
	count: number
}

export type OverviewMetrics = Envelope<'overview', OverviewPoint, OverviewTotals, OverviewRow>
export type LatencyMetrics = Envelope<'latency', LatencyPoint, Omit<LatencyPoint, 't'>, LatencyRow>
export type TokensMetrics = Envelope<'tokens', TokensPoint, Omit<TokensPoint, 't'>, TokensRow>
export type ToolsMetrics = Envelope<'tools', ToolsPoint, Omit<ToolsPoint, 't'>, ToolsRow>
export type ErrorsMetrics = Envelope<'errors', ErrorsPoint, Omit<ErrorsPoint, 't'>, ErrorsRow>

/** `GET /v1/metrics/{view}`'s answer, by view. */
export interface MetricsByView {
	overview: OverviewMetrics
	latency: LatencyMetrics
	tokens: TokensMetrics
	tools: ToolsMetrics
	errors: ErrorsMetrics
}

/** One alert episode of `GET /v1/alerts`: raised once, resolved when its rule clears. */
export interface AlertEpisode {
	id: string
	rule: string
	status: 'open' | 'resolved'
	value: number
	threshold: number
	openedAt: number
	resolvedAt: number | null
	notified: boolean
}

/** One lane of `GET /v1/admin/lanes` (platform admins): its queue and whether a run is stuck. */
export interface LaneHealth {
	tenantId: string
	agentId: string
	sessionKey: string
	queuedRuns: number
	/** When the running run went past its deadline unresolved; null when nothing is stuck. */
	stuckSince: number | null
	lastRunId: string | null
	lastRunStatus: string | null
	updatedAt: number
}

// The run's span tree is the Worker's own type (types only: nothing of the Worker is bundled).
export type {
	RunTrace,
	Span,
	SpanKind,
	SpanStatus,
} from '../../../src/observability/spans'
