// A parent's cancellations of its children still to deliver (lane schema v10, `subagent_cancels`):
// one row per child run (or '*': every run of the child), pending until the child confirms, then
// done or given up. Synchronous SQLite calls, so they join the transaction of the cancel or reset.
import type { ReadMemo } from '../../lanes/read-memo'
import { SUBAGENT_CANCELS } from '../../lanes/schema'
import type { SessionRef } from '../../security/subject'

/** `runId` '*': every queued and running run of the child (a reset or delete of the parent). */
export const EVERY_RUN = '*'

export type CancelReason = 'cancelled' | 'reset' | 'deleted'

export interface CancelRow {
	child: SessionRef
	runId: string
	reason: CancelReason
	status: 'pending' | 'done' | 'failed'
	attempts: number
	nextAt: number
	deadlineAt: number
	createdAt: number
	error: string | null
}

type Row = Record<string, SqlStorageValue>

export class CancelStore {
	readonly #sql: SqlStorage
	readonly #reads: ReadMemo

	/** `sql` clears `reads` on every write (ReadMemo.watch). */
	constructor(sql: SqlStorage, reads: ReadMemo) {
		this.#sql = sql
		this.#reads = reads
	}

	/** True when the table is there (a lane at v10, or a deleted one still cancelling). */
	present(): boolean {
		return this.#reads.get(
			'cancels.present',
			() =>
				this.#sql
					.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subagent_cancels'")
					.toArray().length > 0,
		)
	}

	/** Re-creates the table alone (after the session's storage was wiped). */
	create(): void {
		this.#sql.exec(SUBAGENT_CANCELS)
	}

	/** Drops the table (a deleted session whose cancellations are all settled). */
	drop(): void {
		this.#sql.exec('DROP TABLE IF EXISTS subagent_cancels')
	}

	/** A cancellation to deliver now; one already pending for the same target stays as it is. */
	add(c: { child: SessionRef; runId: string; reason: CancelReason }, now: number, window: number) {
		this.#sql.exec(
			`INSERT INTO subagent_cancels (session_key, run_id, tenant_id, agent_id, reason, status,
			 attempts, next_at, deadline_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
			 ON CONFLICT (session_key, run_id) DO UPDATE SET reason = excluded.reason,
			 status = 'pending', attempts = 0, next_at = excluded.next_at,
			 deadline_at = excluded.deadline_at, created_at = excluded.created_at, done_at = NULL,
			 error = NULL WHERE subagent_cancels.status != 'pending'`,
			c.child.sessionKey,
			c.runId,
			c.child.tenantId,
			c.child.agentId,
			c.reason,
			now,
			now + window,
			now,
		)
	}

	/** Puts rows back as they were (a deleted session keeping its pending cancellations). */
	restore(rows: CancelRow[]): void {
		for (const r of rows) {
			this.#sql.exec(
				`INSERT OR REPLACE INTO subagent_cancels (session_key, run_id, tenant_id, agent_id,
				 reason, status, attempts, next_at, deadline_at, created_at, error)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.child.sessionKey,
				r.runId,
				r.child.tenantId,
				r.child.agentId,
				r.reason,
				r.status,
				r.attempts,
				r.nextAt,
				r.deadlineAt,
				r.createdAt,
				r.error,
			)
		}
	}

	/** Pending cancellations due by `now`, oldest first. */
	due(now: number): CancelRow[] {
		return this.#sql
			.exec<Row>(
				`SELECT * FROM subagent_cancels WHERE status = 'pending' AND next_at <= ?
				 ORDER BY next_at, created_at LIMIT 20`,
				now,
			)
			.toArray()
			.map(toCancel)
	}

	pending(): CancelRow[] {
		return this.#sql
			.exec<Row>("SELECT * FROM subagent_cancels WHERE status = 'pending' ORDER BY next_at")
			.toArray()
			.map(toCancel)
	}

	/** When the next pending cancellation is due (Infinity: none). */
	nextAt(): number {
		return this.#reads.dueAt(
			'cancels.nextAt',
			this.#sql,
			"SELECT min(next_at) AS at FROM subagent_cancels WHERE status = 'pending'",
		)
	}

	done(c: CancelRow, attempts: number, now: number): void {
		this.#settle(c, "status = 'done', done_at = ?, error = NULL", attempts, now)
	}

	retry(c: CancelRow, attempts: number, nextAt: number, error: string): void {
		this.#settle(c, 'next_at = ?, error = ?', attempts, nextAt, error.slice(0, 500))
	}

	failed(c: CancelRow, attempts: number, now: number, error: string): void {
		this.#settle(c, "status = 'failed', done_at = ?, error = ?", attempts, now, error.slice(0, 500))
	}

	/** Drops settled rows older than `before`. */
	prune(before: number): void {
		this.#sql.exec("DELETE FROM subagent_cancels WHERE status != 'pending' AND done_at < ?", before)
	}

	#settle(c: CancelRow, set: string, attempts: number, ...values: SqlStorageValue[]): void {
		this.#sql.exec(
			`UPDATE subagent_cancels SET attempts = ?, ${set} WHERE session_key = ? AND run_id = ?`,
			attempts,
			...values,
			c.child.sessionKey,
			c.runId,
		)
	}
}

function toCancel(r: Row): CancelRow {
	return {
		child: {
			tenantId: String(r.tenant_id),
			agentId: String(r.agent_id),
			sessionKey: String(r.session_key),
		},
		runId: String(r.run_id),
		reason: String(r.reason) as CancelReason,
		status: String(r.status) as CancelRow['status'],
		attempts: Number(r.attempts),
		nextAt: Number(r.next_at),
		deadlineAt: Number(r.deadline_at),
		createdAt: Number(r.created_at),
		error: r.error === null || r.error === undefined ? null : String(r.error),
	}
}
