// How long a lane keeps what it stores, and the pruning that enforces it: events, compacted
// messages, idempotency keys, finished runs, tool records and finished deliveries each go after
// their retention.
import { DEFAULT_LIMITS } from './limits'
import type { LaneStore } from './store'

/** Retention pruning runs on alarms, but not more often than this. */
export const HOUSEKEEPING_EVERY_MS = 3_600_000

/** The alarm's retention pass: at most once per HOUSEKEEPING_EVERY_MS (heartbeats come often). */
export class Housekeeping {
	#at = Number.NEGATIVE_INFINITY

	/** Prunes when due, in one transaction (`tx`). */
	run(store: LaneStore, tx: (fn: () => void) => void, now: number): void {
		if (now - this.#at < HOUSEKEEPING_EVERY_MS) return
		this.#at = now
		tx(() => pruneExpired(store, now))
	}
}

/** Deletes everything past its retention at `now` (call inside a transaction). */
export function pruneExpired(store: LaneStore, now: number): void {
	const r = DEFAULT_LIMITS
	pruneEvents(store, now)
	store.transcript.pruneCompacted(now - r.compactedRetentionMs)
	store.runs.pruneIdempotency(now - r.idempotencyTtlMs)
	store.runs.prune(now - r.runRetentionMs)
	store.tools.prune(now - r.runRetentionMs)
	store.deliveries.prune(now - r.eventRetentionMs)
}

/** When the oldest stored thing falls due for deletion; Infinity when nothing will. */
export function nextExpiry(store: LaneStore): number {
	const oldest = store.oldestExpiring()
	const r = DEFAULT_LIMITS
	const due = (from: number | null, keep: number) =>
		from === null ? Number.POSITIVE_INFINITY : from + keep
	return Math.min(
		due(oldest.event, r.eventRetentionMs),
		due(oldest.compacted, r.compactedRetentionMs),
		due(oldest.idempotency, r.idempotencyTtlMs),
		due(oldest.run, r.runRetentionMs),
		due(oldest.delivery, r.eventRetentionMs),
	)
}

/** Keeps the event log bounded between housekeeping passes (every 100th event calls this). */
export function pruneEvents(store: LaneStore, now: number): void {
	store.events.prune(DEFAULT_LIMITS.eventHistory, now - DEFAULT_LIMITS.eventRetentionMs)
}
