// Per-minute rollups of metric points in D1 (`metrics_minute`): points add up in memory by
// (tenant, minute, kind, agent, dim, outcome) and go to D1 in coalesced batches — at most one write
// per interval per writer —, with a duration histogram per row so the views can read percentiles.
import { HandedWrites, PacedWrites } from '../db/paced-writes'
import type { Logger } from './logger'
import { type MetricPoint, PLATFORM_INDEX, pointFacts, type RollupSink } from './metrics'

/** Upper bounds (ms, inclusive) of the duration buckets h0…h14; h15 takes everything above. */
export const ROLLUP_BUCKETS_MS = [
	10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
] as const

export const BUCKET_COUNT = ROLLUP_BUCKETS_MS.length + 1

/** One row of `metrics_minute` (or the part of one a writer adds). */
export interface RollupRow {
	tenantId: string
	minute: number
	kind: string
	agentId: string
	dim: string
	outcome: string
	count: number
	errors: number
	durationMs: number
	inputTokens: number
	outputTokens: number
	costUsd: number
	costKnown: number
	queueWaitMs: number
	bytes: number
	value: number
	/** BUCKET_COUNT counts. */
	hist: number[]
}

/** Rows waiting for the next write, by key. */
type PendingRows = Map<string, RollupRow>

export const minuteOf = (at: number): number => at - (at % 60_000)

/** The bucket a duration falls in. */
export function bucketOf(ms: number): number {
	for (let i = 0; i < ROLLUP_BUCKETS_MS.length; i++) {
		if (ms <= (ROLLUP_BUCKETS_MS[i] as number)) return i
	}
	return ROLLUP_BUCKETS_MS.length
}

/**
 * The q-quantile (0…1) of a histogram, interpolated linearly inside its bucket (the last,
 * unbounded bucket answers its lower bound). Null for an empty histogram.
 */
export function quantileOf(hist: readonly number[], q: number): number | null {
	const total = hist.reduce((n, c) => n + c, 0)
	if (total === 0) return null
	const rank = q * total
	let seen = 0
	for (let i = 0; i < hist.length; i++) {
		const c = hist[i] ?? 0
		if (c > 0 && seen + c >= rank) {
			const lower = i === 0 ? 0 : (ROLLUP_BUCKETS_MS[i - 1] as number)
			const upper = ROLLUP_BUCKETS_MS[i]
			if (upper === undefined) return lower
			return lower + ((upper - lower) * Math.max(0, rank - seen)) / c
		}
		seen += c
	}
	return ROLLUP_BUCKETS_MS[ROLLUP_BUCKETS_MS.length - 1] as number
}

const keyOf = (
	r: Pick<RollupRow, 'tenantId' | 'minute' | 'kind' | 'agentId' | 'dim' | 'outcome'>,
) =>
	`${r.tenantId}\u0000${r.minute}\u0000${r.kind}\u0000${r.agentId}\u0000${r.dim}\u0000${r.outcome}`

/** A point's contribution to its minute's row. */
export function rollupOf(point: MetricPoint, at: number): RollupRow {
	const f = pointFacts(point)
	const hist = new Array<number>(BUCKET_COUNT).fill(0)
	if (f.timed) hist[bucketOf(f.durationMs)] = 1
	return {
		tenantId: point.tenant || PLATFORM_INDEX,
		minute: minuteOf(at),
		kind: point.kind,
		agentId: point.agent ?? '',
		// The dim is a key column: bounded like the data point's blob.
		dim: f.dim.slice(0, 256),
		outcome: f.outcome,
		count: 1,
		errors: f.error ? 1 : 0,
		durationMs: f.durationMs,
		inputTokens: f.inputTokens,
		outputTokens: f.outputTokens,
		costUsd: f.costUsd,
		costKnown: f.costKnown ? 1 : 0,
		queueWaitMs: f.queueWaitMs,
		bytes: f.bytes,
		value: f.extra.value ?? 0,
		hist,
	}
}

/** Adds `b` into `a` (same key). */
export function mergeRollup(a: RollupRow, b: RollupRow): RollupRow {
	a.count += b.count
	a.errors += b.errors
	a.durationMs += b.durationMs
	a.inputTokens += b.inputTokens
	a.outputTokens += b.outputTokens
	a.costUsd += b.costUsd
	a.costKnown += b.costKnown
	a.queueWaitMs += b.queueWaitMs
	a.bytes += b.bytes
	a.value += b.value
	for (let i = 0; i < BUCKET_COUNT; i++) a.hist[i] = (a.hist[i] ?? 0) + (b.hist[i] ?? 0)
	return a
}

/**
 * The writer's rollup side: adds points up in memory and writes them to D1 at most once per
 * `intervalMs` (the first write waits one interval, so a burst is one write). A failed write is
 * logged; its deltas are not retried (a repeated delta would count twice). In a long-lived place
 * (a Durable Object, one queue batch) the writes keep themselves alive through `waitUntil`; in a
 * stateless Worker (`handed`) each write is made by a request that `take`s it (HandedWrites).
 */
export class RollupBuffer implements RollupSink {
	readonly #writes: PacedWrites<PendingRows> | HandedWrites<PendingRows>

	constructor(
		options: {
			write: (rows: RollupRow[]) => Promise<void>
			intervalMs: number
			logger: Logger
		} & ({ waitUntil: (p: Promise<unknown>) => void } | { handed: true }),
	) {
		const paced = {
			intervalMs: options.intervalMs,
			write: (pending: PendingRows) => options.write([...pending.values()]),
			failed: (error: unknown) => options.logger.error('metrics.rollup_write_failed', { error }),
		}
		this.#writes =
			'handed' in options
				? new HandedWrites(paced)
				: new PacedWrites({ ...paced, waitUntil: options.waitUntil, waitFirst: true })
	}

	add(point: MetricPoint, at: number): void {
		const row = rollupOf(point, at)
		this.#writes.put((pending = new Map()) => {
			const key = keyOf(row)
			const had = pending.get(key)
			pending.set(key, had ? mergeRollup(had, row) : row)
			return pending
		})
	}

	/**
	 * A `handed` buffer's next write, for the calling request's `waitUntil`, when it falls to that
	 * request; undefined otherwise (and always for a long-lived place's buffer).
	 */
	take(): Promise<void> | undefined {
		return this.#writes instanceof HandedWrites ? this.#writes.take() : undefined
	}

	/** Resolves once everything added so far is in D1 (tests, shutdown). */
	settled(): Promise<void> {
		return this.#writes.settled()
	}
}
