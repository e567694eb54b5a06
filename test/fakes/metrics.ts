// Analytics Engine writes are dropped locally, so tests read what the Worker writes by wrapping
// the binding: a recording dataset put in place of `env.METRICS` (the gateway, lanes and the queue
// consumer read the binding when they build their writers), and its points read back by layout.
import { env } from 'cloudflare:test'
import { BLOB, DOUBLE } from '../../src/observability/metrics'

/** A data point read back through the documented layout (docs/observability.md). */
export interface ReadPoint {
	index: string
	kind: string
	tenant: string
	agent: string
	traceId: string
	dim: string
	outcome: string
	details: [string, string, string]
	doubles: Record<keyof typeof DOUBLE, number>
}

export function readPoint(p: AnalyticsEngineDataPoint): ReadPoint {
	const blob = (i: number) => String(p.blobs?.[i - 1] ?? '')
	const doubles = Object.fromEntries(
		Object.entries(DOUBLE).map(([name, i]) => [name, p.doubles?.[i - 1] ?? 0]),
	) as ReadPoint['doubles']
	return {
		index: String(p.indexes?.[0] ?? ''),
		kind: blob(BLOB.kind),
		tenant: blob(BLOB.tenant),
		agent: blob(BLOB.agent),
		traceId: blob(BLOB.traceId),
		dim: blob(BLOB.dim),
		outcome: blob(BLOB.outcome),
		details: [blob(BLOB.detail1), blob(BLOB.detail2), blob(BLOB.detail3)],
		doubles,
	}
}

/** The doubles of a point, zero unless named. */
export const doubles = (set: Partial<ReadPoint['doubles']>): ReadPoint['doubles'] => ({
	...(Object.fromEntries(Object.keys(DOUBLE).map((k) => [k, 0])) as ReadPoint['doubles']),
	count: 1,
	...set,
})

export interface RecordingDataset {
	points: ReadPoint[]
	/** While set, every write throws (a failing binding). */
	failing: boolean
	/** The points of one kind (and agent), in the order written. */
	of(kind: string, agent?: string): ReadPoint[]
}

/** Puts a recording dataset in place of `env.METRICS` (before the writers that read it exist). */
export function recordMetrics(): RecordingDataset {
	const recording: RecordingDataset = {
		points: [],
		failing: false,
		of: (kind, agent) =>
			recording.points.filter((p) => p.kind === kind && (agent === undefined || p.agent === agent)),
	}
	const dataset: AnalyticsEngineDataset = {
		writeDataPoint(point) {
			if (recording.failing) throw new Error('Analytics Engine is down')
			if (point) recording.points.push(readPoint(point))
		},
	}
	Object.assign(env, { METRICS: dataset })
	return recording
}
