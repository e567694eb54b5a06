// The shapes the Dashboard and the trace waterfall read, as the gateway sends them: the metrics
// views, the tenant's alerts, the platform's lanes and a run's trace — all from the types
// generated from the gateway's OpenAPI document (`@edgeclaw/client`), so they follow its routes
// (web/test/console/metrics-fixtures.ts also parses every fixture with the server's own schemas).
import type { Schemas } from '../api'

export const METRIC_VIEWS = [
	'overview',
	'latency',
	'tokens',
	'tools',
	'errors',
] as const satisfies readonly Schemas['Metrics']['view'][]
export type MetricView = (typeof METRIC_VIEWS)[number]

export type OverviewMetrics = Schemas['OverviewMetrics']
export type LatencyMetrics = Schemas['LatencyMetrics']
export type TokensMetrics = Schemas['TokensMetrics']
export type ToolsMetrics = Schemas['ToolsMetrics']
export type ErrorsMetrics = Schemas['ErrorsMetrics']

/** `GET /v1/metrics/{view}`'s answer, by view. */
export type MetricsByView = { [V in MetricView]: Extract<Schemas['Metrics'], { view: V }> }

/** Whether an answer of the metrics API is the view asked for. */
export const isView = <V extends MetricView>(
	answer: Schemas['Metrics'],
	view: V,
): answer is MetricsByView[V] => answer.view === view

/** Who answered: Analytics Engine's SQL API (sampled, weighted) or the D1 per-minute rollups. */
export type MetricsSource = Schemas['Metrics']['source']

/** One row of the latency view's breakdown: a route template (`GET /v1/...`) or a model. */
export type LatencyRow = LatencyMetrics['breakdown'][number]
/** One row of the errors view's breakdown: a route, model, tool or channel, and its outcome. */
export type ErrorsRow = ErrorsMetrics['breakdown'][number]

/** One alert episode of `GET /v1/alerts`: raised once, resolved when its rule clears. */
export type AlertEpisode = Schemas['AlertEpisode']

/** One lane of `GET /v1/admin/lanes` (platform admins): its queue and whether a run is stuck. */
export type LaneHealth = Schemas['LaneHealth']

/** A run as a tree of spans (`GET /v1/sessions/{key}/runs/{runId}/trace`). */
export type RunTrace = Schemas['RunTrace']
export type Span = Schemas['Span']
