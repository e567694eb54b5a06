// What the metrics views ask of a metrics store: sums of the common point layout (and duration
// percentiles) over a window, grouped by time bucket, kind, agent, dim or outcome. The D1 rollups
// and the Analytics Engine SQL API each answer it; the views are built once, above both.
import type { MetricKind } from '../metrics'
import type { RollupRow } from '../rollups'

export const METRICS_SOURCES = ['analytics-engine', 'd1'] as const
export type MetricsSourceName = (typeof METRICS_SOURCES)[number]

/** Whose points, and when. `from`/`to` are epoch ms aligned to the step (`to` exclusive). */
export interface MetricsScope {
	/** One tenant, or null for every tenant (a platform admin's view). */
	tenant: string | null
	agent: string | null
	from: number
	to: number
	stepMs: number
}

/** What a grouped row is keyed by: `t` is the start of its step bucket (epoch ms). */
export type GroupKey = 't' | 'kind' | 'agent' | 'dim' | 'outcome'

export interface Aggregation {
	kinds: readonly MetricKind[]
	by: readonly GroupKey[]
	/** p50/p95 of the duration (ms) per group. */
	percentiles?: boolean
	/** Only groups with failures (`failures` > 0), the most first. */
	failuresOnly?: boolean
	/** At most this many groups: the largest by count (by failures with `failuresOnly`). */
	limit?: number
}

/** The summed columns, as the rollups keep them (what each holds: RollupRow, pointFacts). */
type Sums = Pick<
	RollupRow,
	| 'count'
	| 'errors'
	| 'durationMs'
	| 'inputTokens'
	| 'outputTokens'
	| 'costUsd'
	| 'costKnown'
	| 'queueWaitMs'
	| 'bytes'
	| 'value'
>

/**
 * One group's sums (counts weighted by sampling where the store samples). Keys it is not grouped
 * by are `''` (and `t` 0).
 */
export interface AggregateRow extends Sums {
	t: number
	kind: string
	agent: string
	dim: string
	outcome: string
	/** errors, plus requests answered 4xx. */
	failures: number
	p50Ms: number | null
	p95Ms: number | null
}

/** A metrics store the views can read. */
export interface MetricsReader {
	readonly source: MetricsSourceName
	aggregate(scope: MetricsScope, aggregation: Aggregation): Promise<AggregateRow[]>
}

/** Why a metrics store did not answer; the message is safe to log, never a token or a raw body. */
export type MetricsFailure = 'status' | 'api_error' | 'malformed' | 'timeout' | 'unreachable'

export class MetricsQueryError extends Error {
	override readonly name = 'MetricsQueryError'
	readonly reason: MetricsFailure
	readonly status: number | undefined

	constructor(
		reason: MetricsFailure,
		message: string,
		options: { status?: number; cause?: unknown } = {},
	) {
		super(message, { cause: options.cause })
		this.reason = reason
		this.status = options.status
	}
}

/** Ids that may appear in a query's text: tenant and agent slugs, the platform index, kinds. */
const SAFE_ID = /^[a-z0-9_][a-z0-9_-]{0,95}$/

/** Throws unless `value` is an id that can be quoted in SQL without escaping. */
export function assertSafeId(value: string, what: string): string {
	if (!SAFE_ID.test(value))
		throw new Error(`unsafe ${what} in a metrics query: ${JSON.stringify(value.slice(0, 100))}`)
	return value
}

/** Throws unless `value` is a safe integer: the only numbers a query's text holds. */
export function assertInteger(value: number, what: string): string {
	if (!Number.isSafeInteger(value))
		throw new Error(`not an integer ${what} in a metrics query: ${value}`)
	return String(value)
}
