// The one metrics writer and its data model: every measured thing is a `MetricPoint`, written at
// once to Workers Analytics Engine (index = tenant, one fixed blob/double layout for every kind,
// docs/observability.md) and added to the per-minute D1 rollups the metrics API and alerts read
// where Analytics Engine cannot be. Writing a point never throws.
import type { Logger } from './logger'

/** The index of points that belong to no tenant (an unauthenticated request, a health probe). */
export const PLATFORM_INDEX = '_platform'

/** Analytics Engine takes at most this many points per invocation. */
export const MAX_POINTS_PER_INVOCATION = 250

/**
 * What every point carries: the tenant it belongs to (the index), the agent when there is one,
 * and the W3C trace id of the request or run it was measured in.
 */
export interface PointBase {
	tenant: string
	agent?: string
	traceId?: string
}

/** The fields every point starts with; an agent or trace id only when there is one. */
export const pointBase = (tenant: string, agent?: string, traceId?: string): PointBase => ({
	tenant,
	...(agent !== undefined && { agent }),
	...(traceId !== undefined && { traceId }),
})

/** One gateway request, by route template (never the raw path: ids would explode cardinality). */
export interface RequestPoint extends PointBase {
	kind: 'request'
	method: string
	/** Hono's route template, e.g. `/v1/sessions/:key/messages`; `unmatched` for a 404. */
	route: string
	status: number
	latencyMs: number
	/** Response body size when known (Content-Length), else 0. */
	bytes?: number
}

/** One finished run of a lane (written once per run, by the lane that finished it). */
export interface RunPoint extends PointBase {
	kind: 'run'
	outcome: 'succeeded' | 'failed' | 'cancelled'
	/** The error code of a failed run; the stop reason of a cancelled one. */
	code?: string
	/** `provider:model` that produced the answer; the primary when none did. */
	model: string
	mode: string
	/** Started → finished. */
	durationMs: number
	/** Created → started (the lane's FIFO and the tenant gate). */
	queueWaitMs: number
	/** Model calls made. */
	steps: number
	toolCalls: number
	inputTokens: number
	outputTokens: number
	/** Runs still queued in the lane when this one started. */
	queueDepth: number
	attempt: number
}

/** One call to a model provider, successful or not. */
export interface ModelCallPoint extends PointBase {
	kind: 'model_call'
	/** `provider:model` as the agent config names it. */
	model: string
	provider: string
	profile?: string
	/** `ok`, or the failure class (rate_limit, server, timeout, …). */
	outcome: string
	status?: number
	latencyMs: number
	inputTokens: number
	outputTokens: number
	/** USD, when the model's price is known. */
	costUsd?: number
	/** True when an earlier target or profile of the same step failed first. */
	failover: boolean
	/** What the call was: a step of a run (`generate`, the default) or `/v1/embeddings`. */
	purpose?: ModelCallPurpose
}

export type ModelCallPurpose = 'generate' | 'embedding'

/** One tool execution, in the lane or as a job. */
export interface ToolPoint extends PointBase {
	kind: 'tool'
	tool: string
	/** `lane`, `isolate`, `container`, `fetch`, `mcp`, … — where it ran. */
	placement: string
	/** `ok`, `error`, `denied`, `timeout`, `cancelled`. */
	outcome: string
	code?: string
	durationMs: number
	/** Job enqueued → execution started; 0 for a lane tool. */
	queueWaitMs: number
	/** Result size. */
	bytes: number
}

/** Something a lane did to itself: recovered after a restart, compacted, found a run stuck. */
export interface LanePoint extends PointBase {
	kind: 'lane'
	event: 'recovered' | 'compacted' | 'stuck' | 'unstuck'
	detail?: string
	/** recovered: runs resumed; compacted: messages folded; stuck: ms past the deadline; unstuck: 1. */
	value: number
}

/** One attempt to deliver a reply to a channel (the outbox). */
export interface DeliveryPoint extends PointBase {
	kind: 'delivery'
	channel: string
	channelKind: string
	outcome: 'sent' | 'retry' | 'failed'
	latencyMs: number
	attempts: number
	bytes: number
}

/** One inbound channel webhook. */
export interface WebhookPoint extends PointBase {
	kind: 'webhook'
	channel: string
	channelKind: string
	/** `accepted`, `duplicate`, `ignored`, `refused`, `unverified`, … */
	outcome: string
	status: number
	latencyMs: number
}

export type MetricPoint =
	| RequestPoint
	| RunPoint
	| ModelCallPoint
	| ToolPoint
	| LanePoint
	| DeliveryPoint
	| WebhookPoint

export type MetricKind = MetricPoint['kind']

/** Where the common fields sit in every point (1-based, as the SQL API names them: blob1, double1). */
export const BLOB = {
	kind: 1,
	tenant: 2,
	agent: 3,
	traceId: 4,
	/** The main dimension: route, model, tool, lane event, channel. */
	dim: 5,
	/** Status class (`2xx`…) or outcome. */
	outcome: 6,
	detail1: 7,
	detail2: 8,
	detail3: 9,
	/** model_call: `generate` or `embedding`; `''` for the other kinds. */
	purpose: 10,
} as const

export const DOUBLE = {
	count: 1,
	durationMs: 2,
	error: 3,
	inputTokens: 4,
	outputTokens: 5,
	costUsd: 6,
	costKnown: 7,
	queueWaitMs: 8,
	bytes: 9,
	steps: 10,
	toolCalls: 11,
	queueDepth: 12,
	status: 13,
	attempts: 14,
	value: 15,
} as const

/** The kind-independent reading of a point: what the rollups and the views aggregate. */
export interface PointFacts {
	dim: string
	outcome: string
	error: boolean
	durationMs: number
	/**
	 * Whether `durationMs` counts in the percentiles: not for a cancelled run, which ended when
	 * someone stopped it or never started (cancelled in the queue, reset, deleted).
	 */
	timed: boolean
	inputTokens: number
	outputTokens: number
	costUsd: number
	costKnown: boolean
	queueWaitMs: number
	bytes: number
	details: [string, string, string]
	extra: {
		steps?: number
		toolCalls?: number
		queueDepth?: number
		status?: number
		attempts?: number
		value?: number
	}
}

/** `2xx`, `4xx`, `5xx`, … */
export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`

/** The one place each kind is read into the common layout. */
export function pointFacts(p: MetricPoint): PointFacts {
	const base = {
		durationMs: 0,
		timed: true,
		inputTokens: 0,
		outputTokens: 0,
		costUsd: 0,
		costKnown: false,
		queueWaitMs: 0,
		bytes: 0,
	}
	switch (p.kind) {
		case 'request':
			return {
				...base,
				dim: `${p.method} ${p.route}`,
				outcome: statusClass(p.status),
				error: p.status >= 500,
				durationMs: p.latencyMs,
				bytes: p.bytes ?? 0,
				details: [p.method, '', ''],
				extra: { status: p.status },
			}
		case 'run':
			return {
				...base,
				dim: p.model,
				outcome: p.outcome,
				error: p.outcome === 'failed',
				durationMs: p.durationMs,
				timed: p.outcome !== 'cancelled',
				inputTokens: p.inputTokens,
				outputTokens: p.outputTokens,
				queueWaitMs: p.queueWaitMs,
				details: [p.code ?? '', p.mode, ''],
				extra: {
					steps: p.steps,
					toolCalls: p.toolCalls,
					queueDepth: p.queueDepth,
					attempts: p.attempt,
				},
			}
		case 'model_call':
			return {
				...base,
				dim: p.model,
				outcome: p.outcome,
				error: p.outcome !== 'ok',
				durationMs: p.latencyMs,
				inputTokens: p.inputTokens,
				outputTokens: p.outputTokens,
				costUsd: p.costUsd ?? 0,
				costKnown: p.costUsd !== undefined,
				details: [p.provider, p.profile ?? '', p.failover ? 'failover' : 'first'],
				// value = 1 for a failover, so the rollups (which keep no details) can count them.
				extra: {
					value: p.failover ? 1 : 0,
					...(p.status === undefined ? {} : { status: p.status }),
				},
			}
		case 'tool':
			return {
				...base,
				dim: p.tool,
				outcome: p.outcome,
				error: p.outcome !== 'ok',
				durationMs: p.durationMs,
				queueWaitMs: p.queueWaitMs,
				bytes: p.bytes,
				details: [p.placement, p.code ?? '', ''],
				extra: {},
			}
		case 'lane':
			return {
				...base,
				dim: p.event,
				outcome: p.event,
				error: p.event === 'stuck',
				details: [p.detail ?? '', '', ''],
				extra: { value: p.value },
			}
		case 'delivery':
			return {
				...base,
				dim: p.channel,
				outcome: p.outcome,
				error: p.outcome === 'failed',
				durationMs: p.latencyMs,
				bytes: p.bytes,
				details: [p.channelKind, '', ''],
				extra: { attempts: p.attempts },
			}
		case 'webhook':
			return {
				...base,
				dim: p.channel,
				outcome: p.outcome,
				error: p.status >= 500,
				durationMs: p.latencyMs,
				details: [p.channelKind, '', ''],
				extra: { status: p.status },
			}
	}
}

/** Analytics Engine caps an index at 96 bytes; tenant ids are far shorter, this is the backstop. */
const clip = (value: string, max: number): string =>
	value.length > max ? value.slice(0, max) : value

/** The Analytics Engine data point of a metric point (layout: BLOB and DOUBLE above). */
export function dataPoint(p: MetricPoint): AnalyticsEngineDataPoint {
	const f = pointFacts(p)
	const blobs = [
		p.kind,
		p.tenant,
		p.agent ?? '',
		p.traceId ?? '',
		clip(f.dim, 256),
		f.outcome,
		clip(f.details[0], 256),
		clip(f.details[1], 256),
		f.details[2],
		p.kind === 'model_call' ? (p.purpose ?? 'generate') : '',
	]
	const doubles = [
		1,
		f.durationMs,
		f.error ? 1 : 0,
		f.inputTokens,
		f.outputTokens,
		f.costUsd,
		f.costKnown ? 1 : 0,
		f.queueWaitMs,
		f.bytes,
		f.extra.steps ?? 0,
		f.extra.toolCalls ?? 0,
		f.extra.queueDepth ?? 0,
		f.extra.status ?? 0,
		f.extra.attempts ?? 0,
		f.extra.value ?? 0,
	]
	return { indexes: [clip(p.tenant || PLATFORM_INDEX, 96)], blobs, doubles }
}

/** What a metric point is written to; the lane host, the gateway and the consumer each hold one. */
export interface MetricsSink {
	write(point: MetricPoint): void
}

/** The Analytics Engine binding, or a test's wrapper of it. */
export interface MetricsDataset {
	writeDataPoint(point: AnalyticsEngineDataPoint): void
}

/** Adds points to the per-minute D1 rollups (src/observability/rollups.ts). */
export interface RollupSink {
	add(point: MetricPoint, at: number): void
}

/**
 * The writer: each point goes to Analytics Engine at once (at most MAX_POINTS_PER_INVOCATION per
 * second per writer — a writer outliving one invocation, in a Durable Object, refills each second;
 * a stateless Worker takes a writer of its own per request with `forInvocation`; points beyond it
 * are dropped from Analytics Engine only, and counted in one warning) and to the rollups. A binding
 * that throws is logged and never fails the caller.
 */
export class MetricsWriter implements MetricsSink {
	readonly #dataset: MetricsDataset | undefined
	readonly #rollups: RollupSink | undefined
	readonly #logger: Logger
	readonly #now: () => number
	#windowStart = Number.NEGATIVE_INFINITY
	#written = 0
	#dropped = 0

	constructor(options: {
		dataset: MetricsDataset | undefined
		rollups?: RollupSink
		logger: Logger
		now?: () => number
	}) {
		this.#dataset = options.dataset
		this.#rollups = options.rollups
		this.#logger = options.logger
		this.#now = options.now ?? Date.now
	}

	/** A writer with a budget of its own, for one invocation, sharing this one's binding and rollups. */
	forInvocation(): MetricsWriter {
		return new MetricsWriter({
			dataset: this.#dataset,
			...(this.#rollups && { rollups: this.#rollups }),
			logger: this.#logger,
			now: this.#now,
		})
	}

	write(point: MetricPoint): void {
		const now = this.#now()
		try {
			this.#rollups?.add(point, now)
		} catch (error) {
			this.#logger.warn('metrics.rollup_failed', { kind: point.kind, error })
		}
		if (!this.#dataset) return
		if (now - this.#windowStart >= 1_000) {
			if (this.#dropped > 0) this.#logger.warn('metrics.dropped', { points: this.#dropped })
			this.#windowStart = now
			this.#written = 0
			this.#dropped = 0
		}
		if (this.#written >= MAX_POINTS_PER_INVOCATION) {
			this.#dropped++
			return
		}
		this.#written++
		try {
			this.#dataset.writeDataPoint(dataPoint(point))
		} catch (error) {
			this.#logger.warn('metrics.write_failed', { kind: point.kind, error })
		}
	}
}

/** Metrics and trace propagation are on unless EDGECLAW_TELEMETRY is "off" (overhead benchmarks). */
export const telemetryOn = (env: { EDGECLAW_TELEMETRY?: string }): boolean =>
	env.EDGECLAW_TELEMETRY !== 'off'

/** A sink that drops everything (metrics turned off, or a test that does not look). */
export const NO_METRICS: MetricsSink = { write: () => {} }
