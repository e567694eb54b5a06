// The lane's event log in its SQLite: every event with a seq that only grows (AUTOINCREMENT, so
// never reused after pruning or a reset), bounded by count and age. Subscribers replay from it and
// followers are relayed from it. Part of LaneStore (`store.events`).
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
		const { seq } = this.#sql
			.exec<{ seq: number }>(
				'INSERT INTO events (ts, type, run_id, data) VALUES (?, ?, ?, ?) RETURNING seq',
				e.ts,
				e.type,
				e.runId,
				JSON.stringify(e.data),
			)
			.one()
		return { seq, ...e }
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
