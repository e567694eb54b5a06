// The lane's outbox table: one row per message for a channel (a part of a run's reply, or an
// approval), worked through in seq order. Part of LaneStore (`store.deliveries`); synchronous.
import type { ReadMemo } from './read-memo'
import type { DeliveryStatus, DeliveryView, ReplyRoute } from './types'

/** A delivery as the outbox works with it: its view, its place and what it sends. */
export interface DeliveryRecord extends DeliveryView {
	seq: number
	route: ReplyRoute
	/** The text of a `text` delivery; `{id, tool, summary}` as JSON for an `approval`. */
	body: string
}

interface DeliveryRow extends Record<string, SqlStorageValue> {
	seq: number
	id: string
	run_id: string | null
	channel_id: string
	kind: string
	route: string
	body: string
	part: number
	parts: number
	status: string
	attempts: number
	next_at: number
	deadline_at: number
	created_at: number
	sent_at: number | null
	error: string | null
	record_at: number | null
	record_tries: number
}

const toView = (r: DeliveryRow): DeliveryView => ({
	id: r.id,
	runId: r.run_id,
	channelId: r.channel_id,
	kind: r.kind as DeliveryView['kind'],
	part: r.part,
	parts: r.parts,
	status: r.status as DeliveryStatus,
	attempts: r.attempts,
	createdAt: r.created_at,
	nextAt: r.next_at,
	sentAt: r.sent_at,
	deadlineAt: r.deadline_at,
	error: r.error,
})

const toRecord = (r: DeliveryRow): DeliveryRecord => ({
	...toView(r),
	seq: r.seq,
	route: JSON.parse(r.route) as ReplyRoute,
	body: r.body,
})

export class DeliveryStore {
	readonly #sql: SqlStorage
	readonly #reads: ReadMemo

	/** `sql` clears `reads` on every write (ReadMemo.watch). */
	constructor(sql: SqlStorage, reads: ReadMemo) {
		this.#sql = sql
		this.#reads = reads
	}

	insert(d: {
		id: string
		runId: string | null
		route: ReplyRoute
		kind: DeliveryView['kind']
		body: string
		part: number
		parts: number
		createdAt: number
		deadlineAt: number
	}): void {
		this.#sql.exec(
			`INSERT INTO deliveries (id, run_id, channel_id, kind, route, body, part, parts, status, next_at, deadline_at, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
			d.id,
			d.runId,
			d.route.channelId,
			d.kind,
			JSON.stringify(d.route),
			d.body,
			d.part,
			d.parts,
			d.createdAt,
			d.deadlineAt,
			d.createdAt,
		)
	}

	/** When the head (below) is next due (Infinity: none). */
	headDueAt(): number {
		return this.#reads.get(
			'deliveries.headDueAt',
			() => this.head()?.nextAt ?? Number.POSITIVE_INFINITY,
		)
	}

	/** The oldest delivery neither sent nor given up: the only one that may be sent next. */
	head(): DeliveryRecord | undefined {
		const row = this.#sql
			.exec<DeliveryRow>(
				"SELECT * FROM deliveries WHERE status IN ('pending', 'sending') ORDER BY seq LIMIT 1",
			)
			.toArray()[0]
		return row && toRecord(row)
	}

	get(id: string): DeliveryView | undefined {
		const row = this.#sql
			.exec<DeliveryRow>('SELECT * FROM deliveries WHERE id = ?', id)
			.toArray()[0]
		return row && toView(row)
	}

	/** A try starts; `lostAt` is when it counts as lost if nothing was recorded by then. */
	markSending(id: string, attempts: number, lostAt: number): void {
		this.#sql.exec(
			"UPDATE deliveries SET status = 'sending', attempts = ?, next_at = ? WHERE id = ?",
			attempts,
			lostAt,
			id,
		)
	}

	markSent(id: string, at: number): void {
		this.#sql.exec(
			"UPDATE deliveries SET status = 'sent', sent_at = ?, error = NULL WHERE id = ?",
			at,
			id,
		)
	}

	retryAt(id: string, nextAt: number, error: string): void {
		this.#sql.exec(
			"UPDATE deliveries SET status = 'pending', next_at = ?, error = ? WHERE id = ?",
			nextAt,
			error,
			id,
		)
	}

	/** Given up; its dead letter is to be recorded from `recordAt` on (see `unrecorded`). */
	markFailed(id: string, error: string, recordAt: number): void {
		this.#sql.exec(
			"UPDATE deliveries SET status = 'failed', error = ?, record_at = ? WHERE id = ?",
			error,
			recordAt,
			id,
		)
	}

	// ── dead letters still to be recorded ────────────────────────────────────────────────────────

	/** Given-up deliveries whose dead letter is due to be recorded at `now`, oldest first. */
	unrecorded(now: number, limit: number): (DeliveryRecord & { recordTries: number })[] {
		return this.#sql
			.exec<DeliveryRow>(
				'SELECT * FROM deliveries WHERE record_at IS NOT NULL AND record_at <= ? ORDER BY record_at LIMIT ?',
				now,
				limit,
			)
			.toArray()
			.map((r) => ({ ...toRecord(r), recordTries: r.record_tries }))
	}

	/** When the next dead letter is due to be recorded (Infinity: none). */
	nextRecordAt(): number {
		return this.#reads.dueAt(
			'deliveries.nextRecordAt',
			this.#sql,
			'SELECT min(record_at) AS at FROM deliveries WHERE record_at IS NOT NULL',
		)
	}

	/** A try to record the dead letter starts, or failed: the next is due at `nextAt`. */
	recordAgainAt(id: string, nextAt: number, tries: number): void {
		this.#sql.exec(
			'UPDATE deliveries SET record_at = ?, record_tries = ? WHERE id = ?',
			nextAt,
			tries,
			id,
		)
	}

	/** The dead letter was recorded (or its tries ran out): nothing more to do for it. */
	recordDone(id: string): void {
		this.#sql.exec('UPDATE deliveries SET record_at = NULL WHERE id = ?', id)
	}

	/** Gives up the later parts of the reply `d` belongs to; returns how many. */
	failLaterParts(d: DeliveryRecord, error: string): number {
		return this.#sql
			.exec(
				`UPDATE deliveries SET status = 'failed', error = ?
				 WHERE run_id IS ? AND kind = ? AND seq > ? AND part > ? AND status IN ('pending', 'sending')
				 RETURNING id`,
				error,
				d.runId,
				d.kind,
				d.seq,
				d.part,
			)
			.toArray().length
	}

	/** After a restart nothing is in flight: tries that were cut off are due again at `now`. */
	requeueSending(now: number): void {
		this.#sql.exec(
			"UPDATE deliveries SET status = 'pending', next_at = ? WHERE status = 'sending'",
			now,
		)
	}

	/** Newest first, optionally of one status. */
	list(status: DeliveryStatus | undefined, limit: number): DeliveryView[] {
		const rows = status
			? this.#sql.exec<DeliveryRow>(
					'SELECT * FROM deliveries WHERE status = ? ORDER BY seq DESC LIMIT ?',
					status,
					limit,
				)
			: this.#sql.exec<DeliveryRow>('SELECT * FROM deliveries ORDER BY seq DESC LIMIT ?', limit)
		return rows.toArray().map(toView)
	}

	/** Sent and given-up deliveries created before `olderThan` go; pending ones stay. */
	prune(olderThan: number): number {
		return this.#sql.exec(
			"DELETE FROM deliveries WHERE status IN ('sent', 'failed') AND created_at < ?",
			olderThan,
		).rowsWritten
	}
}
