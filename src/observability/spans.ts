// A run as a tree of spans (GET /v1/sessions/{key}/runs/{runId}/trace): built by the lane from
// what it already stores — the run's times, its model calls, tool jobs and approvals — so tracing
// a run costs nothing until someone asks.

export type SpanKind =
	| 'run'
	| 'queue'
	| 'compaction'
	| 'model'
	| 'tool'
	| 'tool.queue'
	| 'tool.exec'
	| 'approval'

export type SpanStatus = 'ok' | 'error' | 'cancelled' | 'running'

export interface Span {
	/** Unique within the trace (16 hex digits for spans with a W3C span id, else a stable name). */
	id: string
	kind: SpanKind
	/** Human-readable: `run`, `queue wait`, `model anthropic:claude-…`, `tool web_fetch`, … */
	name: string
	/** Epoch ms. */
	startedAt: number
	/** Null while the span is still open. */
	durationMs: number | null
	status: SpanStatus
	attributes: Record<string, string | number | boolean>
	children: Span[]
}

export interface RunTrace {
	/** The W3C trace id the run carries (null for runs from before traces). */
	traceId: string | null
	runId: string
	agentId: string
	sessionKey: string
	/** Kind `run`: created → finished; its children in start order. */
	root: Span
}
