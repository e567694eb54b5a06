// The lane's event log in its SQLite: every event with a seq that only grows (AUTOINCREMENT, so
// never reused after pruning or a reset), bounded by count and age. Subscribers replay from it and
// followers are relayed from it. An event of a traced run carries the run's trace id, read from
// the run in the same insert. Part of LaneStore (`store.events`).
import { type EventRow, toEvent } from './rows'
import type { LaneEvent, LaneEventType } from './types'

export class EventLog {
	readonly #sql: SqlStorage

	constructor(sql: SqlStorage) {
		this.#sql = sql
	}

	append(e: {
		ts: number
		type: LaneEventType
		runId: string | null
		data: Record<string, unknown>
	}): LaneEvent {
		const { seq, trace_id } = this.#sql
			.exec<{ seq: number; trace_id: string | null }>(
				`INSERT INTO events (ts, type, run_id, data, trace_id)
				 VALUES (?, ?, ?, ?, (SELECT substr(trace, 4, 32) FROM runs WHERE id = ?))
				 RETURNING seq, trace_id`,
				e.ts,
				e.type,
				e.runId,
				JSON.stringify(e.data),
				e.runId,
			)
			.one()
		return trace_id ? { seq, ...e, traceId: trace_id } : { seq, ...e }
	}

	/** A run's events of the given types, in order (the run's trace is built from them). */
	ofRun(runId: string, types: readonly LaneEventType[]): LaneEvent[] {
		return this.#sql
			.exec<EventRow>(
				`SELECT * FROM events WHERE run_id = ? AND type IN (${types.map(() => '?').join(', ')}) ORDER BY seq`,
				runId,
				...types,
			)
			.toArray()
			.map(toEvent)
	}

	after(seq: number, limit: number): LaneEvent[] {
		return this.#sql
			.exec<EventRow>('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?', seq, limit)
			.toArray()
			.map(toEvent)
	}

	lastSeq(): number {
		return this.#sql.exec<{ s: number | null }>('SELECT max(seq) AS s FROM events').one().s ?? 0
	}

	/** Drops events beyond the newest `keep` or older than `olderThan`; returns how many went. */
	prune(keep: number, olderThan: number): number {
		const last = this.lastSeq()
		return this.#sql.exec('DELETE FROM events WHERE seq <= ? OR ts < ?', last - keep, olderThan)
			.rowsWritten
	}
}
