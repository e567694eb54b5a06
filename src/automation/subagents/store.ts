// A lane's subagent tables (lane schema v9): as a parent, its children and the runs it started in
// them with the end each announced; as a child, the announces of its runs' ends still to deliver.
// Synchronous SQLite calls, so a sequence of them in one transaction is atomic.

import type { ReadMemo } from '../../lanes/read-memo'
import type { ToolSubject } from '../../security/subject'
import { CancelStore } from './cancel-store'
import type { Announce } from './ports'

export interface ChildRow {
	sessionKey: string
	agentId: string
	label: string | null
	depth: number
	subject: ToolSubject | null
	gateLimit: number | null
	createdAt: number
}

export interface ChildRunRow {
	runId: string
	sessionKey: string
	agentId: string
	parentRunId: string | null
	status: string
	output: string | null
	error: { code: string; message: string } | null
	inputTokens: number | null
	outputTokens: number | null
	createdAt: number
	announcedAt: number | null
}

export interface AnnounceRow {
	runId: string
	body: Announce
	status: 'pending' | 'sent' | 'failed'
	attempts: number
	nextAt: number
	deadlineAt: number
	createdAt: number
	error: string | null
}

type Row = Record<string, SqlStorageValue>

export class SubagentStore {
	readonly #sql: SqlStorage
	/** Cancellations of children still to deliver (v10). */
	readonly cancels: CancelStore

	readonly #reads: ReadMemo

	/** `sql` clears `reads` on every write (ReadMemo.watch). */
	constructor(sql: SqlStorage, reads: ReadMemo) {
		this.#sql = sql
		this.#reads = reads
		this.cancels = new CancelStore(sql, reads)
	}

	// ── as a parent ────────────────────────────────────────────────────────────────────────────

	addChild(c: ChildRow): void {
		this.#sql.exec(
			`INSERT INTO subagents (session_key, agent_id, label, depth, subject, gate_limit, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.sessionKey,
			c.agentId,
			c.label,
			c.depth,
			c.subject ? JSON.stringify(c.subject) : null,
			c.gateLimit,
			c.createdAt,
		)
	}

	removeChild(sessionKey: string): void {
		this.#sql.exec('DELETE FROM subagents WHERE session_key = ?', sessionKey)
		this.#sql.exec('DELETE FROM subagent_runs WHERE session_key = ?', sessionKey)
	}

	child(sessionKey: string): ChildRow | undefined {
		const row = this.#sql
			.exec<Row>('SELECT * FROM subagents WHERE session_key = ?', sessionKey)
			.toArray()[0]
		return row && toChild(row)
	}

	children(): ChildRow[] {
		return this.#sql
			.exec<Row>('SELECT * FROM subagents ORDER BY created_at, session_key')
			.toArray()
			.map(toChild)
	}

	/**
	 * Children spawned since `since` that are still at work: a run of theirs has not come back, or
	 * they are being spawned (no run yet), so calls in parallel count each other.
	 */
	openChildren(since: number): number {
		return this.#sql
			.exec<{ n: number }>(
				`SELECT count(*) AS n FROM subagents s WHERE s.created_at >= ? AND (
				 NOT EXISTS (SELECT 1 FROM subagent_runs r WHERE r.session_key = s.session_key)
				 OR EXISTS (SELECT 1 FROM subagent_runs r
				            WHERE r.session_key = s.session_key AND r.announced_at IS NULL))`,
				since,
			)
			.one().n
	}

	/** A run started in a child (kept as it is when its end already came back first). */
	addRun(run: { runId: string; sessionKey: string; parentRunId: string; createdAt: number }): void {
		this.#sql.exec(
			`INSERT INTO subagent_runs (run_id, session_key, parent_run_id, status, created_at)
			 VALUES (?, ?, ?, 'queued', ?)
			 ON CONFLICT (run_id) DO UPDATE SET parent_run_id = excluded.parent_run_id`,
			run.runId,
			run.sessionKey,
			run.parentRunId,
			run.createdAt,
		)
	}

	run(runId: string): ChildRunRow | undefined {
		const row = this.#sql
			.exec<Row>(
				`SELECT r.*, s.agent_id FROM subagent_runs r JOIN subagents s USING (session_key)
				 WHERE r.run_id = ?`,
				runId,
			)
			.toArray()[0]
		return row && toChildRun(row)
	}

	/** The runs a run of this session started in children, oldest first. */
	runsOf(parentRunId: string): ChildRunRow[] {
		return this.#sql
			.exec<Row>(
				`SELECT r.*, s.agent_id FROM subagent_runs r JOIN subagents s USING (session_key)
				 WHERE r.parent_run_id = ? ORDER BY r.created_at, r.run_id`,
				parentRunId,
			)
			.toArray()
			.map(toChildRun)
	}

	/** The newest run started in a child. */
	lastRunOf(sessionKey: string): ChildRunRow | undefined {
		const row = this.#sql
			.exec<Row>(
				`SELECT r.*, s.agent_id FROM subagent_runs r JOIN subagents s USING (session_key)
				 WHERE r.session_key = ? ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1`,
				sessionKey,
			)
			.toArray()[0]
		return row && toChildRun(row)
	}

	/** A child run's end came back (or was returned to a waiting call): recorded once. */
	recordEnd(a: Announce, now: number): void {
		this.#sql.exec(
			`INSERT INTO subagent_runs (run_id, session_key, parent_run_id, status, output, error,
			 input_tokens, output_tokens, created_at, announced_at)
			 VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, output = excluded.output,
			 error = excluded.error, input_tokens = excluded.input_tokens,
			 output_tokens = excluded.output_tokens, announced_at = excluded.announced_at`,
			a.runId,
			a.child.sessionKey,
			a.status,
			a.output,
			a.error ? JSON.stringify(a.error) : null,
			a.usage?.inputTokens ?? null,
			a.usage?.outputTokens ?? null,
			now,
			now,
		)
	}

	/** Marks runs closed without their answer (a cascade cancelled them): their announce is dropped. */
	closeRun(runId: string, now: number): void {
		this.#sql.exec(
			`UPDATE subagent_runs SET status = 'cancelled', announced_at = ?
			 WHERE run_id = ? AND announced_at IS NULL`,
			now,
			runId,
		)
	}

	/** Forgets every child (a reset or delete of the parent, after cancelling them). */
	clearChildren(): void {
		this.#sql.exec('DELETE FROM subagent_runs')
		this.#sql.exec('DELETE FROM subagents')
	}

	// ── as a child ─────────────────────────────────────────────────────────────────────────────

	addAnnounce(body: Announce, now: number, deadlineAt: number): void {
		this.#sql.exec(
			`INSERT INTO announces (run_id, body, status, next_at, deadline_at, created_at)
			 VALUES (?, ?, 'pending', ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
			body.runId,
			JSON.stringify(body),
			now,
			deadlineAt,
			now,
		)
	}

	/** Pending announces due by `now`, oldest first. */
	dueAnnounces(now: number): AnnounceRow[] {
		return this.#sql
			.exec<Row>(
				`SELECT * FROM announces WHERE status = 'pending' AND next_at <= ?
				 ORDER BY next_at, created_at LIMIT 20`,
				now,
			)
			.toArray()
			.map(toAnnounce)
	}

	announce(runId: string): AnnounceRow | undefined {
		const row = this.#sql.exec<Row>('SELECT * FROM announces WHERE run_id = ?', runId).toArray()[0]
		return row && toAnnounce(row)
	}

	/** When the next pending announce is due (Infinity: none). */
	nextAnnounceAt(): number {
		return this.#reads.dueAt(
			'announces.nextAt',
			this.#sql,
			"SELECT min(next_at) AS at FROM announces WHERE status = 'pending'",
		)
	}

	announceSent(runId: string, attempts: number, now: number): void {
		this.#sql.exec(
			"UPDATE announces SET status = 'sent', attempts = ?, sent_at = ?, error = NULL WHERE run_id = ?",
			attempts,
			now,
			runId,
		)
	}

	announceRetry(runId: string, attempts: number, nextAt: number, error: string): void {
		this.#sql.exec(
			'UPDATE announces SET attempts = ?, next_at = ?, error = ? WHERE run_id = ?',
			attempts,
			nextAt,
			error.slice(0, 500),
			runId,
		)
	}

	announceFailed(runId: string, attempts: number, error: string): void {
		this.#sql.exec(
			"UPDATE announces SET status = 'failed', attempts = ?, error = ? WHERE run_id = ?",
			attempts,
			error.slice(0, 500),
			runId,
		)
	}

	/** Drops records older than `before`: delivered or given-up announces, announced child runs. */
	prune(before: number): void {
		this.#sql.exec(
			"DELETE FROM announces WHERE status IN ('sent', 'failed') AND created_at < ?",
			before,
		)
		this.#sql.exec(
			'DELETE FROM subagent_runs WHERE announced_at IS NOT NULL AND announced_at < ?',
			before,
		)
	}
}

const str = (v: SqlStorageValue): string | null => (v === null ? null : String(v))
const num = (v: SqlStorageValue): number | null => (v === null ? null : Number(v))

function toChild(r: Row): ChildRow {
	return {
		sessionKey: String(r.session_key),
		agentId: String(r.agent_id),
		label: str(r.label ?? null),
		depth: Number(r.depth),
		subject: r.subject ? (JSON.parse(String(r.subject)) as ToolSubject) : null,
		gateLimit: num(r.gate_limit ?? null),
		createdAt: Number(r.created_at),
	}
}

function toChildRun(r: Row): ChildRunRow {
	return {
		runId: String(r.run_id),
		sessionKey: String(r.session_key),
		agentId: String(r.agent_id),
		parentRunId: str(r.parent_run_id ?? null),
		status: String(r.status),
		output: str(r.output ?? null),
		error: r.error ? (JSON.parse(String(r.error)) as ChildRunRow['error']) : null,
		inputTokens: num(r.input_tokens ?? null),
		outputTokens: num(r.output_tokens ?? null),
		createdAt: Number(r.created_at),
		announcedAt: num(r.announced_at ?? null),
	}
}

function toAnnounce(r: Row): AnnounceRow {
	return {
		runId: String(r.run_id),
		body: JSON.parse(String(r.body)) as Announce,
		status: String(r.status) as AnnounceRow['status'],
		attempts: Number(r.attempts),
		nextAt: Number(r.next_at),
		deadlineAt: Number(r.deadline_at),
		createdAt: Number(r.created_at),
		error: str(r.error ?? null),
	}
}
