// A lane's SQLite storage: every query the lane makes, plus what is cheap to keep in memory (the
// active transcript, the last agent snapshot, identity). All calls are synchronous (Durable
// Object SQLite), so a sequence of them inside one transaction is atomic.
import type { AgentSnapshot, MessagePart, ModelCallRecord } from '../agents/runner'
import type { SessionRef, ToolSubject } from '../security/subject'
import {
	bytesOf,
	type EventRow,
	type MessageRow,
	type PendingMessage,
	type RunRecord,
	type RunRow,
	toEvent,
	toMessage,
	toRun,
} from './rows'
import { MIGRATIONS } from './schema'
import { ToolCallStore } from './tool-store'
import type { LaneEvent, LaneEventType, MessageView, QueueMode, RunError, RunStatus } from './types'

export { asUserMessage, type PendingMessage, type RunRecord, runPrincipals, runView } from './rows'
export { SCHEMA_VERSION } from './schema'

export class LaneStore {
	readonly #sql: SqlStorage
	/** The tool tables (jobs, approvals, grants), over the same storage. */
	readonly tools: ToolCallStore
	/** Memo of `exists()`: a lane, once created, exists until `forget()` after its storage is wiped. */
	#exists = false
	#migrated = false
	#session: SessionRef | undefined
	#createdAt: number | undefined
	#transcript: MessageView[] | undefined
	/** The last agent snapshot parsed, by its JSON: most lanes run one agent version for long. */
	#agent: { json: string; value: AgentSnapshot } | undefined

	constructor(sql: SqlStorage) {
		this.#sql = sql
		this.tools = new ToolCallStore(sql)
	}

	#toRun(row: RunRow): RunRecord {
		if (this.#agent?.json !== row.agent) {
			this.#agent = { json: row.agent, value: JSON.parse(row.agent) as AgentSnapshot }
		}
		return toRun(row, this.#agent.value)
	}

	/** True once the lane has been created (its schema exists). Reads never create it. */
	exists(): boolean {
		this.#exists ||=
			this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").toArray()
				.length > 0
		return this.#exists
	}

	/** The storage was wiped (deleteAll): drop what this object remembers of it. */
	forget(): void {
		this.#exists = false
		this.#migrated = false
		this.#createdAt = undefined
		this.#transcript = undefined
		this.#session = undefined
	}

	/** Applies pending migrations (once per object); returns the version the storage is at. */
	migrate(): number {
		if (this.#migrated) return MIGRATIONS.length
		this.#sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
		const current = Number(this.getMeta('schema_version') ?? '0')
		for (let v = current; v < MIGRATIONS.length; v++) {
			this.#sql.exec(MIGRATIONS[v] as string)
			this.setMeta('schema_version', String(v + 1))
		}
		this.#migrated = true
		this.#exists = true
		return MIGRATIONS.length
	}

	getMeta(key: string): string | undefined {
		const row = this.#sql
			.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)
			.toArray()[0]
		return row?.value
	}

	setMeta(key: string, value: string): void {
		this.#sql.exec(
			'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
			key,
			value,
		)
	}

	/** When the session was created (memoised; it never changes). */
	createdAt(): number | undefined {
		this.#createdAt ??= Number(this.getMeta('created_at')) || undefined
		return this.#createdAt
	}

	session(): SessionRef | undefined {
		if (this.#session) return this.#session
		const raw = this.getMeta('session')
		this.#session = raw ? (JSON.parse(raw) as SessionRef) : undefined
		return this.#session
	}

	// ── runs ────────────────────────────────────────────────────────────────────────────────────

	insertRun(run: {
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
	}): RunRecord {
		const pos = run.head
			? "(SELECT coalesce(min(queue_pos), 0) - 1 FROM runs WHERE status = 'queued')"
			: '(SELECT coalesce(max(queue_pos), 0) + 1 FROM runs)'
		this.#sql.exec(
			`INSERT INTO runs (id, queue_pos, mode, status, input, agent, idempotency_key, created_at, gate_limit, subject)
			 VALUES (?, ${pos}, ?, 'queued', ?, ?, ?, ?, ?, ?)`,
			run.id,
			run.mode,
			JSON.stringify(run.input),
			JSON.stringify(run.agent),
			run.idempotencyKey ?? null,
			run.createdAt,
			run.gateLimit,
			run.subject ? JSON.stringify(run.subject) : null,
		)
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
		}
	}

	getRun(id: string): RunRecord | undefined {
		const row = this.#sql.exec<RunRow>('SELECT * FROM runs WHERE id = ?', id).toArray()[0]
		return row && this.#toRun(row)
	}

	/** The agent snapshot of the newest run (what the session last ran with). */
	latestAgent(): AgentSnapshot | undefined {
		const row = this.#sql.exec<RunRow>('SELECT * FROM runs ORDER BY seq DESC LIMIT 1').toArray()[0]
		return row && this.#toRun(row).agent
	}

	/** The next run to start: lowest queue position among queued runs. */
	headRun(): RunRecord | undefined {
		const row = this.#sql
			.exec<RunRow>("SELECT * FROM runs WHERE status = 'queued' ORDER BY queue_pos LIMIT 1")
			.toArray()[0]
		return row && this.#toRun(row)
	}

	/** The queued `collect` run at the tail of the queue, if the tail is one. */
	tailCollectRun(): RunRecord | undefined {
		const row = this.#sql
			.exec<RunRow>("SELECT * FROM runs WHERE status = 'queued' ORDER BY queue_pos DESC LIMIT 1")
			.toArray()[0]
		return row && row.mode === 'collect' ? this.#toRun(row) : undefined
	}

	/** Runs in creation order, after `afterSeq`; with their seq for paging. */
	listRuns(afterSeq: number, limit: number): { seq: number; run: RunRecord }[] {
		return this.#sql
			.exec<RunRow>('SELECT * FROM runs WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit)
			.toArray()
			.map((row) => ({ seq: row.seq, run: this.#toRun(row) }))
	}

	runsWithStatus(status: RunStatus): RunRecord[] {
		return this.#sql
			.exec<RunRow>('SELECT * FROM runs WHERE status = ? ORDER BY queue_pos', status)
			.toArray()
			.map((row) => this.#toRun(row))
	}

	countRuns(status?: RunStatus): number {
		const cursor = status
			? this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM runs WHERE status = ?', status)
			: this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM runs')
		return cursor.one().n
	}

	/** Queued user messages across all queued runs (what the queue cap counts). */
	queuedMessages(): number {
		return this.#sql
			.exec<{ n: number }>(
				"SELECT coalesce(sum(json_array_length(input)), 0) AS n FROM runs WHERE status = 'queued'",
			)
			.one().n
	}

	/** Size of the input waiting in queued runs (its JSON, a close upper bound of the text). */
	queuedBytes(): number {
		return this.#sql
			.exec<{ n: number }>(
				"SELECT coalesce(sum(length(input)), 0) AS n FROM runs WHERE status = 'queued'",
			)
			.one().n
	}

	setRunInput(id: string, input: PendingMessage[]): void {
		this.#sql.exec('UPDATE runs SET input = ? WHERE id = ?', JSON.stringify(input), id)
	}

	setRunSteer(id: string, steer: PendingMessage[]): void {
		this.#sql.exec('UPDATE runs SET steer = ? WHERE id = ?', JSON.stringify(steer), id)
	}

	setWaitingSlot(id: string, waiting: boolean): void {
		this.#sql.exec('UPDATE runs SET waiting_slot = ? WHERE id = ?', waiting ? 1 : 0, id)
	}

	markRunning(id: string, startedAt: number, deadlineAt: number): void {
		this.#sql.exec(
			"UPDATE runs SET status = 'running', started_at = ?, deadline_at = ?, waiting_slot = 0, attempt = attempt + 1 WHERE id = ?",
			startedAt,
			deadlineAt,
			id,
		)
	}

	/**
	 * Puts a run that was cut off back at the head of the queue. Its input stays on the run, so
	 * the transcript entries it wrote when it started are removed; it writes them again.
	 */
	requeueAtHead(id: string): void {
		this.#transcript = undefined
		this.#sql.exec('DELETE FROM messages WHERE run_id = ?', id)
		this.#sql.exec(
			`UPDATE runs SET status = 'queued', started_at = NULL, deadline_at = NULL,
			 queue_pos = (SELECT coalesce(min(queue_pos), 0) - 1 FROM runs WHERE status = 'queued')
			 WHERE id = ?`,
			id,
		)
	}

	finishRun(
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
		},
	): void {
		this.#sql.exec(
			`UPDATE runs SET status = ?, finished_at = ?, output = ?, model = ?, input_tokens = ?,
			 output_tokens = ?, error_code = ?, error_message = ?, calls = ?, waiting_slot = 0, steer = '[]'
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
			id,
		)
	}

	// ── idempotency ─────────────────────────────────────────────────────────────────────────────

	idempotentRun(key: string, notBefore: number): string | undefined {
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

	// ── messages ────────────────────────────────────────────────────────────────────────────────

	insertMessage(m: {
		id: string
		runId: string | null
		role: MessageView['role']
		kind?: MessageView['kind']
		content: MessagePart[]
		tokens: number
		createdAt: number
	}): void {
		const kind = m.kind ?? 'message'
		const { seq } = this.#sql
			.exec<{ seq: number }>(
				'INSERT INTO messages (id, run_id, role, kind, content, tokens, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq',
				m.id,
				m.runId,
				m.role,
				kind,
				JSON.stringify(m.content),
				m.tokens,
				bytesOf(m.content),
				m.createdAt,
			)
			.one()
		// Regular messages append to the cached transcript; a summary reorders it, so reload.
		if (kind === 'summary') this.#transcript = undefined
		else
			this.#transcript?.push({
				seq,
				id: m.id,
				runId: m.runId,
				role: m.role,
				kind,
				content: m.content,
				tokens: m.tokens,
				compacted: false,
				createdAt: m.createdAt,
			})
	}

	/** Drops what an earlier attempt of a run wrote (its steps), before the run starts over. */
	deleteRunOutput(runId: string): void {
		const { n } = this.#sql
			.exec<{ n: number }>(
				"SELECT count(*) AS n FROM messages WHERE run_id = ? AND role IN ('assistant', 'tool')",
				runId,
			)
			.one()
		if (n === 0) return
		this.#sql.exec("DELETE FROM messages WHERE run_id = ? AND role IN ('assistant', 'tool')", runId)
		this.#transcript = undefined
	}

	/**
	 * The transcript the model sees: the active summary first, then active messages, oldest first.
	 * Kept in memory once read (every change to it goes through this class); callers must not
	 * mutate it.
	 */
	activeMessages(): readonly MessageView[] {
		this.#transcript ??= this.#sql
			.exec<MessageRow>(
				"SELECT * FROM messages WHERE compacted = 0 ORDER BY kind = 'summary' DESC, seq",
			)
			.toArray()
			.map(toMessage)
		return this.#transcript
	}

	listMessages(afterSeq: number, limit: number): MessageView[] {
		return this.#sql
			.exec<MessageRow>(
				'SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?',
				afterSeq,
				limit,
			)
			.toArray()
			.map(toMessage)
	}

	*allMessages(): Generator<MessageView> {
		for (const row of this.#sql.exec<MessageRow>('SELECT * FROM messages ORDER BY seq')) {
			yield toMessage(row)
		}
	}

	markCompacted(upToSeq: number): number {
		this.#transcript = undefined
		return this.#sql.exec(
			'UPDATE messages SET compacted = 1 WHERE compacted = 0 AND seq <= ?',
			upToSeq,
		).rowsWritten
	}

	/** Counts kept by triggers on `messages`, so reading them costs one row, not a scan. */
	messageStats(): { active: number; compacted: number; bytes: number; tokens: number } {
		return this.#sql
			.exec<{ active: number; compacted: number; bytes: number; tokens: number }>(
				'SELECT active, compacted, bytes, tokens FROM message_stats WHERE id = 1',
			)
			.one()
	}

	// ── events ──────────────────────────────────────────────────────────────────────────────────

	appendEvent(e: {
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

	eventsAfter(seq: number, limit: number): LaneEvent[] {
		return this.#sql
			.exec<EventRow>('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?', seq, limit)
			.toArray()
			.map(toEvent)
	}

	lastEventSeq(): number {
		return this.#sql.exec<{ s: number | null }>('SELECT max(seq) AS s FROM events').one().s ?? 0
	}

	// ── housekeeping ────────────────────────────────────────────────────────────────────────────

	/** Drops events beyond the newest `keep` or older than `olderThan`; returns how many went. */
	pruneEvents(keep: number, olderThan: number): number {
		const last = this.lastEventSeq()
		return this.#sql.exec('DELETE FROM events WHERE seq <= ? OR ts < ?', last - keep, olderThan)
			.rowsWritten
	}

	pruneCompacted(olderThan: number): number {
		return this.#sql.exec('DELETE FROM messages WHERE compacted = 1 AND created_at < ?', olderThan)
			.rowsWritten
	}

	/** Finished runs older than `olderThan` go (their messages stay in the transcript). */
	pruneRuns(olderThan: number): number {
		return this.#sql.exec(
			'DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?',
			olderThan,
		).rowsWritten
	}

	pruneIdempotency(olderThan: number): number {
		return this.#sql.exec('DELETE FROM idempotency WHERE created_at < ?', olderThan).rowsWritten
	}

	/** Oldest timestamps of what retention will delete (null when there is none). */
	oldestExpiring(): {
		event: number | null
		compacted: number | null
		idempotency: number | null
		run: number | null
	} {
		return this.#sql
			.exec<{
				event: number | null
				compacted: number | null
				idempotency: number | null
				run: number | null
			}>(
				`SELECT (SELECT min(ts) FROM events) AS event,
				 (SELECT min(created_at) FROM messages WHERE compacted = 1) AS compacted,
				 (SELECT min(created_at) FROM idempotency) AS idempotency,
				 (SELECT min(finished_at) FROM runs WHERE finished_at IS NOT NULL) AS run`,
			)
			.one()
	}

	/** A new, empty transcript: messages, runs and idempotency keys go; events and identity stay. */
	clearTranscript(): void {
		this.#transcript = undefined
		this.#sql.exec('DELETE FROM messages')
		this.#sql.exec('DELETE FROM runs')
		this.#sql.exec('DELETE FROM idempotency')
	}
}
