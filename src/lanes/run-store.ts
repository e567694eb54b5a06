// The lane's runs and idempotency keys in its SQLite: the queue (by position), each run's input,
// steers, agent snapshot and outcome. Part of LaneStore (`store.runs`); synchronous like it.
import type { AgentSnapshot, ModelCallRecord, RunOptions, ToolCallPart } from '../agents/runner'
import type { ToolSubject } from '../security/subject'
import { type PendingMessage, type RunRecord, type RunRow, toRun } from './rows'
import type { QueueMode, ReplyRoute, RunError, RunStatus } from './types'

export class RunStore {
	readonly #sql: SqlStorage
	/** The last agent snapshot parsed, by its JSON: most lanes run one agent version for long. */
	#agent: { json: string; value: AgentSnapshot } | undefined
	/**
	 * What waits in queued runs, once counted: a new run adds to it, anything else that changes the
	 * queue drops it (counted again on the next submit), so a burst of submits counts the queue once.
	 */
	#queued: { messages: number; bytes: number } | undefined

	constructor(sql: SqlStorage) {
		this.#sql = sql
	}

	#toRun(row: RunRow): RunRecord {
		if (this.#agent?.json !== row.agent) {
			this.#agent = { json: row.agent, value: JSON.parse(row.agent) as AgentSnapshot }
		}
		return toRun(row, this.#agent.value)
	}

	insert(run: {
		id: string
		mode: QueueMode
		input: PendingMessage[]
		agent: AgentSnapshot
		idempotencyKey: string | undefined
		createdAt: number
		gateLimit: number | null
		/** Head of the queue (interrupt, resumed runs) instead of its tail. */
		head: boolean
		subject: ToolSubject | null
		reply: ReplyRoute | null
		/** The run's own traceparent (a span of the request's trace); null without one. */
		trace?: string | null
		options?: RunOptions | null
	}): RunRecord {
		const pos = run.head
			? "(SELECT coalesce(min(queue_pos), 0) - 1 FROM runs WHERE status = 'queued')"
			: '(SELECT coalesce(max(queue_pos), 0) + 1 FROM runs)'
		const { bytes } = this.#sql
			.exec<{ bytes: number }>(
				`INSERT INTO runs (id, queue_pos, mode, status, input, agent, idempotency_key, created_at, gate_limit, subject, reply, trace, options)
				 VALUES (?, ${pos}, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING length(input) AS bytes`,
				run.id,
				run.mode,
				JSON.stringify(run.input),
				JSON.stringify(run.agent),
				run.idempotencyKey ?? null,
				run.createdAt,
				run.gateLimit,
				run.subject ? JSON.stringify(run.subject) : null,
				run.reply ? JSON.stringify(run.reply) : null,
				run.trace ?? null,
				run.options ? JSON.stringify(run.options) : null,
			)
			.one()
		if (this.#queued) {
			this.#queued.messages += run.input.length
			this.#queued.bytes += bytes
		}
		return {
			id: run.id,
			mode: run.mode,
			status: 'queued',
			attempt: 0,
			input: run.input,
			steer: [],
			agent: run.agent,
			idempotencyKey: run.idempotencyKey ?? null,
			createdAt: run.createdAt,
			startedAt: null,
			finishedAt: null,
			deadlineAt: null,
			waitingSlot: false,
			gateLimit: run.gateLimit,
			output: null,
			model: null,
			inputTokens: null,
			outputTokens: null,
			error: null,
			calls: [],
			subject: run.subject,
			reply: run.reply,
			trace: run.trace ?? null,
			options: run.options ?? null,
			clientCalls: [],
		}
	}

	get(id: string): RunRecord | undefined {
		const row = this.#sql.exec<RunRow>('SELECT * FROM runs WHERE id = ?', id).toArray()[0]
		return row && this.#toRun(row)
	}

	/** The agent snapshot of the newest run (what the session last ran with). */
	latestAgent(): AgentSnapshot | undefined {
		const row = this.#sql.exec<RunRow>('SELECT * FROM runs ORDER BY seq DESC LIMIT 1').toArray()[0]
		return row && this.#toRun(row).agent
	}

	/** The next run to start: lowest queue position among queued runs. */
	head(): RunRecord | undefined {
		const row = this.#sql
			.exec<RunRow>("SELECT * FROM runs WHERE status = 'queued' ORDER BY queue_pos LIMIT 1")
			.toArray()[0]
		return row && this.#toRun(row)
	}

	/** The queued `collect` run at the tail of the queue, if the tail is one. */
	tailCollect(): RunRecord | undefined {
		const row = this.#sql
			.exec<RunRow>("SELECT * FROM runs WHERE status = 'queued' ORDER BY queue_pos DESC LIMIT 1")
			.toArray()[0]
		return row && row.mode === 'collect' ? this.#toRun(row) : undefined
	}

	/** Runs in creation order, after `afterSeq`; with their seq for paging. */
	list(afterSeq: number, limit: number): { seq: number; run: RunRecord }[] {
		return this.#sql
			.exec<RunRow>('SELECT * FROM runs WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit)
			.toArray()
			.map((row) => ({ seq: row.seq, run: this.#toRun(row) }))
	}

	withStatus(status: RunStatus): RunRecord[] {
		return this.#sql
			.exec<RunRow>('SELECT * FROM runs WHERE status = ? ORDER BY queue_pos', status)
			.toArray()
			.map((row) => this.#toRun(row))
	}

	count(status?: RunStatus): number {
		const cursor = status
			? this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM runs WHERE status = ?', status)
			: this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM runs')
		return cursor.one().n
	}

	/** Queued user messages across all queued runs (what the queue cap counts). */
	queuedMessages(): number {
		return this.#queuedCounts().messages
	}

	/** Size of the input waiting in queued runs (its JSON, a close upper bound of the text). */
	queuedBytes(): number {
		return this.#queuedCounts().bytes
	}

	#queuedCounts(): { messages: number; bytes: number } {
		this.#queued ??= this.#sql
			.exec<{ messages: number; bytes: number }>(
				`SELECT coalesce(sum(json_array_length(input)), 0) AS messages,
				 coalesce(sum(length(input)), 0) AS bytes FROM runs WHERE status = 'queued'`,
			)
			.one()
		return this.#queued
	}

	/** Drops what this object remembers of the table (storage wiped, or a transaction rolled back). */
	forget(): void {
		this.#queued = undefined
	}

	setInput(id: string, input: PendingMessage[]): void {
		this.#queued = undefined
		this.#sql.exec('UPDATE runs SET input = ? WHERE id = ?', JSON.stringify(input), id)
	}

	setSteer(id: string, steer: PendingMessage[]): void {
		this.#sql.exec('UPDATE runs SET steer = ? WHERE id = ?', JSON.stringify(steer), id)
	}

	setReply(id: string, reply: ReplyRoute): void {
		this.#sql.exec('UPDATE runs SET reply = ? WHERE id = ?', JSON.stringify(reply), id)
	}

	/** A run's reply route alone (no parse of the rest of the row). */
	replyOf(id: string): ReplyRoute | null {
		const row = this.#sql
			.exec<{ reply: string | null }>('SELECT reply FROM runs WHERE id = ?', id)
			.toArray()[0]
		return row?.reply ? (JSON.parse(row.reply) as ReplyRoute) : null
	}

	/** The run's answer was returned by a caller that waited for it, not sent by the outbox. */
	markAnsweredInline(id: string): void {
		this.#sql.exec('UPDATE runs SET answered_inline = 1 WHERE id = ?', id)
	}

	answeredInline(id: string): boolean {
		const row = this.#sql
			.exec<{ inline: number }>('SELECT answered_inline AS inline FROM runs WHERE id = ?', id)
			.toArray()[0]
		return row?.inline === 1
	}

	setWaitingSlot(id: string, waiting: boolean): void {
		this.#sql.exec('UPDATE runs SET waiting_slot = ? WHERE id = ?', waiting ? 1 : 0, id)
	}

	markRunning(id: string, startedAt: number, deadlineAt: number): void {
		this.#queued = undefined
		this.#sql.exec(
			"UPDATE runs SET status = 'running', started_at = ?, deadline_at = ?, waiting_slot = 0, attempt = attempt + 1 WHERE id = ?",
			startedAt,
			deadlineAt,
			id,
		)
	}

	/** Puts a run that was cut off back at the head of the queue (LaneStore.requeueAtHead). */
	requeueAtHead(id: string): void {
		this.#queued = undefined
		this.#sql.exec(
			`UPDATE runs SET status = 'queued', started_at = NULL, deadline_at = NULL,
			 queue_pos = (SELECT coalesce(min(queue_pos), 0) - 1 FROM runs WHERE status = 'queued')
			 WHERE id = ?`,
			id,
		)
	}

	finish(
		id: string,
		outcome: {
			status: 'succeeded' | 'failed' | 'cancelled'
			finishedAt: number
			output?: string
			model?: string
			inputTokens?: number
			outputTokens?: number
			error?: RunError
			calls?: readonly ModelCallRecord[]
			clientCalls?: readonly ToolCallPart[]
		},
	): void {
		this.#queued = undefined
		this.#sql.exec(
			`UPDATE runs SET status = ?, finished_at = ?, output = ?, model = ?, input_tokens = ?,
			 output_tokens = ?, error_code = ?, error_message = ?, calls = ?, client_calls = ?,
			 waiting_slot = 0, steer = '[]'
			 WHERE id = ?`,
			outcome.status,
			outcome.finishedAt,
			outcome.output ?? null,
			outcome.model ?? null,
			outcome.inputTokens ?? null,
			outcome.outputTokens ?? null,
			outcome.error?.code ?? null,
			outcome.error?.message ?? null,
			outcome.calls && outcome.calls.length > 0 ? JSON.stringify(outcome.calls) : null,
			outcome.clientCalls && outcome.clientCalls.length > 0
				? JSON.stringify(outcome.clientCalls)
				: null,
			id,
		)
	}

	/** Finished runs older than `olderThan` go (their messages stay in the transcript). */
	prune(olderThan: number): number {
		return this.#sql.exec(
			'DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?',
			olderThan,
		).rowsWritten
	}

	// ── idempotency ─────────────────────────────────────────────────────────────────────────────

	idempotent(key: string, notBefore: number): string | undefined {
		const row = this.#sql
			.exec<{ run_id: string }>(
				'SELECT run_id FROM idempotency WHERE key = ? AND created_at >= ?',
				key,
				notBefore,
			)
			.toArray()[0]
		return row?.run_id
	}

	rememberIdempotency(key: string, runId: string, at: number): void {
		this.#sql.exec(
			'INSERT INTO idempotency (key, run_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET run_id = excluded.run_id, created_at = excluded.created_at',
			key,
			runId,
			at,
		)
	}

	pruneIdempotency(olderThan: number): number {
		return this.#sql.exec('DELETE FROM idempotency WHERE created_at < ?', olderThan).rowsWritten
	}

	/** Every run and idempotency key goes (a reset). */
	clear(): void {
		this.#queued = undefined
		this.#sql.exec('DELETE FROM runs')
		this.#sql.exec('DELETE FROM idempotency')
	}
}
