// The lane's tool tables: tool jobs it sent to the queue, once settled (and how far each got),
// approvals of elevated calls, and the session's standing grants (`allow-always`). Synchronous
// SQLite, so a decision is atomic with the events it emits.

export type ToolJobStatus = 'queued' | 'claimed' | 'done' | 'expired'
export type ApprovalStatus = 'pending' | 'allowed' | 'denied' | 'expired'

export interface ToolJobRecord {
	jobId: string
	runId: string
	callId: string
	tool: string
	idempotent: boolean
	status: ToolJobStatus
	claims: number
	createdAt: number
	deadlineAt: number
}

/** A tool job with how far it got: claimed (`startedAt`) and settled (`finishedAt`, `code`). */
export interface ToolJobTimes extends ToolJobRecord {
	startedAt: number | null
	finishedAt: number | null
	code: string | null
}

export interface ApprovalView {
	id: string
	runId: string
	callId: string
	tool: string
	args: unknown
	/** Every principal the call was made for (the run's starter first). */
	principals: string[]
	status: ApprovalStatus
	decidedBy: string | null
	createdAt: number
	deadlineAt: number
	decidedAt: number | null
}

interface JobRow extends Record<string, SqlStorageValue> {
	job_id: string
	run_id: string
	call_id: string
	tool: string
	idempotent: number
	status: string
	claims: number
	created_at: number
	deadline_at: number
	started_at: number | null
	finished_at: number | null
	code: string | null
}

interface ApprovalRow extends Record<string, SqlStorageValue> {
	id: string
	run_id: string
	call_id: string
	tool: string
	args: string
	principals: string
	status: string
	decided_by: string | null
	created_at: number
	deadline_at: number
	decided_at: number | null
}

const toJob = (r: JobRow): ToolJobRecord => ({
	jobId: r.job_id,
	runId: r.run_id,
	callId: r.call_id,
	tool: r.tool,
	idempotent: r.idempotent === 1,
	status: r.status as ToolJobStatus,
	claims: r.claims,
	createdAt: r.created_at,
	deadlineAt: r.deadline_at,
})

const toApproval = (r: ApprovalRow): ApprovalView => ({
	id: r.id,
	runId: r.run_id,
	callId: r.call_id,
	tool: r.tool,
	args: JSON.parse(r.args) as unknown,
	principals: r.principals ? (JSON.parse(r.principals) as string[]) : [],
	status: r.status as ApprovalStatus,
	decidedBy: r.decided_by,
	createdAt: r.created_at,
	deadlineAt: r.deadline_at,
	decidedAt: r.decided_at,
})

export class ToolCallStore {
	readonly #sql: SqlStorage

	constructor(sql: SqlStorage) {
		this.#sql = sql
	}

	/** A settled job, written once: while it was open the lane held it in memory. */
	recordJob(job: ToolJobTimes): void {
		this.#sql.exec(
			`INSERT INTO tool_jobs (job_id, run_id, call_id, tool, idempotent, status, claims, created_at,
			   deadline_at, started_at, finished_at, code)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			job.jobId,
			job.runId,
			job.callId,
			job.tool,
			job.idempotent ? 1 : 0,
			job.status,
			job.claims,
			job.createdAt,
			job.deadlineAt,
			job.startedAt,
			job.finishedAt,
			job.code,
		)
	}

	job(jobId: string): ToolJobRecord | undefined {
		const row = this.#sql
			.exec<JobRow>('SELECT * FROM tool_jobs WHERE job_id = ?', jobId)
			.toArray()[0]
		return row && toJob(row)
	}

	/** A run's tool jobs with their times, oldest first (the run's trace). */
	jobTimesOfRun(runId: string): ToolJobTimes[] {
		return this.#sql
			.exec<JobRow>('SELECT * FROM tool_jobs WHERE run_id = ? ORDER BY created_at', runId)
			.toArray()
			.map((r) => ({
				...toJob(r),
				startedAt: r.started_at ?? null,
				finishedAt: r.finished_at,
				code: r.code,
			}))
	}

	/**
	 * Rows still open (`queued`, `claimed`) were written by an earlier version of the lane, which
	 * stored jobs at dispatch; after a restart nobody waits for them, so they are settled.
	 */
	expireOpenJobs(at: number): number {
		return this.#sql.exec(
			"UPDATE tool_jobs SET status = 'expired', finished_at = ?, code = 'lane_restarted' WHERE status IN ('queued', 'claimed')",
			at,
		).rowsWritten
	}

	insertApproval(a: Omit<ApprovalView, 'status' | 'decidedBy' | 'decidedAt'>): void {
		this.#sql.exec(
			`INSERT INTO approvals (id, run_id, call_id, tool, args, principals, status, created_at, deadline_at)
			 VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
			a.id,
			a.runId,
			a.callId,
			a.tool,
			JSON.stringify(a.args ?? null),
			JSON.stringify(a.principals),
			a.createdAt,
			a.deadlineAt,
		)
	}

	approval(id: string): ApprovalView | undefined {
		const row = this.#sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE id = ?', id).toArray()[0]
		return row && toApproval(row)
	}

	decideApproval(
		id: string,
		status: Exclude<ApprovalStatus, 'pending'>,
		by: string | null,
		at: number,
	): void {
		this.#sql.exec(
			'UPDATE approvals SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?',
			status,
			by,
			at,
			id,
		)
	}

	/** True while one of the run's calls waits for a human's decision. */
	awaitsApproval(runId: string): boolean {
		return (
			this.#sql
				.exec("SELECT 1 FROM approvals WHERE status = 'pending' AND run_id = ? LIMIT 1", runId)
				.toArray().length > 0
		)
	}

	/** How many calls wait for a decision (the sessions index carries it). */
	pendingCount(): number {
		return this.#sql
			.exec<{ n: number }>("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'")
			.one().n
	}

	/** A run's approvals, oldest first (the run's trace). */
	approvalsOfRun(runId: string): ApprovalView[] {
		return this.#sql
			.exec<ApprovalRow>('SELECT * FROM approvals WHERE run_id = ? ORDER BY created_at', runId)
			.toArray()
			.map(toApproval)
	}

	/** Pending approvals first, then the latest decided ones. */
	listApprovals(limit: number): ApprovalView[] {
		return this.#sql
			.exec<ApprovalRow>(
				"SELECT * FROM approvals ORDER BY status = 'pending' DESC, created_at DESC LIMIT ?",
				limit,
			)
			.toArray()
			.map(toApproval)
	}

	/** Pending approvals whose waiting call is gone (after a restart) expire. */
	expirePendingApprovals(at: number): ApprovalView[] {
		const pending = this.#sql
			.exec<ApprovalRow>("SELECT * FROM approvals WHERE status = 'pending'")
			.toArray()
			.map(toApproval)
		this.#sql.exec(
			"UPDATE approvals SET status = 'expired', decided_at = ? WHERE status = 'pending'",
			at,
		)
		return pending
	}

	/** Who granted `tool` for the session (`allow-always`); undefined when nobody did. */
	grantedBy(tool: string): string | undefined {
		return this.#sql
			.exec<{ granted_by: string }>('SELECT granted_by FROM tool_grants WHERE tool = ?', tool)
			.toArray()[0]?.granted_by
	}

	grant(tool: string, by: string, at: number): void {
		this.#sql.exec(
			'INSERT INTO tool_grants (tool, granted_by, created_at) VALUES (?, ?, ?) ON CONFLICT (tool) DO NOTHING',
			tool,
			by,
			at,
		)
	}

	/** A reset starts a fresh conversation: standing grants go with the old one. */
	clearGrants(): void {
		this.#sql.exec('DELETE FROM tool_grants')
	}

	/** Finished jobs and decided approvals older than `olderThan` go. */
	prune(olderThan: number): number {
		return (
			this.#sql.exec(
				"DELETE FROM tool_jobs WHERE status IN ('done', 'expired') AND created_at < ?",
				olderThan,
			).rowsWritten +
			this.#sql.exec(
				"DELETE FROM approvals WHERE status != 'pending' AND created_at < ?",
				olderThan,
			).rowsWritten
		)
	}
}
