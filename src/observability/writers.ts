// The metrics writer of one runtime place (a session lane, a gateway isolate, a queue batch): the
// Analytics Engine binding plus the place's own per-minute D1 rollups — or nothing at all when
// telemetry is off (EDGECLAW_TELEMETRY=off), so the overhead benchmark can compare.
import { database } from '../db/client'
import { addMetricRollups } from '../db/metrics'
import { handNext } from '../db/paced-writes'
import type { Logger } from './logger'
import {
	type MetricsSink,
	MetricsWriter,
	NO_METRICS,
	type RollupSink,
	telemetryOn,
} from './metrics'
import { RollupBuffer } from './rollups'

/** A place's rollups go to D1 at most this often (like the usage day totals). */
export const ROLLUP_WRITE_INTERVAL_MS = 5_000

export type MetricsEnv = Pick<Env, 'DB' | 'METRICS' | 'EDGECLAW_TELEMETRY'>

export interface PlaceMetrics {
	/** Where the place's points go. */
	sink: MetricsSink
	/** A sink for one invocation: the same binding and rollups, a point budget of its own. */
	invocation(): MetricsSink
	/** Its rollups; absent when telemetry is off. */
	rollups: RollupBuffer | undefined
}

export const NO_PLACE_METRICS: PlaceMetrics = {
	sink: NO_METRICS,
	invocation: () => NO_METRICS,
	rollups: undefined,
}

export function placeMetrics(
	env: MetricsEnv,
	options: {
		logger: Logger
		/**
		 * Keeps the rollups' D1 writes alive (a Durable Object's or an invocation's); `handed` for
		 * a stateless Worker's isolate, whose requests `take` the writes (RollupBuffer).
		 */
		waitUntil: ((promise: Promise<unknown>) => void) | 'handed'
		intervalMs?: number
		/**
		 * With a `waitUntil`: the rollups go to the buffer every place of this isolate that says so
		 * shares (one per D1 binding, `handed`), each write made by whichever place's point falls
		 * due — the Durable Objects an isolate hosts write once per interval together.
		 */
		shared?: boolean
	},
): PlaceMetrics {
	if (!telemetryOn(env)) return NO_PLACE_METRICS
	const db = database(env.DB)
	const { waitUntil } = options
	const make = (mode: { handed: true } | { waitUntil: (promise: Promise<unknown>) => void }) =>
		new RollupBuffer({
			write: (rows) => addMetricRollups(db, rows),
			intervalMs: options.intervalMs ?? ROLLUP_WRITE_INTERVAL_MS,
			logger: options.logger,
			...mode,
		})
	let rollups: RollupBuffer
	let added: RollupSink
	if (waitUntil === 'handed') added = rollups = make({ handed: true })
	else if (!options.shared) added = rollups = make({ waitUntil })
	else {
		const shared = sharedRollups.get(env.DB) ?? make({ handed: true })
		sharedRollups.set(env.DB, shared)
		rollups = shared
		added = {
			add(point, at) {
				shared.add(point, at)
				handNext(shared, waitUntil)
			},
		}
	}
	const sink = new MetricsWriter({
		dataset: env.METRICS,
		rollups: added,
		logger: options.logger,
	})
	return { sink, invocation: () => sink.forInvocation(), rollups }
}

/** The rollup buffers places share (placeMetrics' `shared`), one per D1 binding. */
const sharedRollups = new WeakMap<D1Database, RollupBuffer>()
