// A lane's SQLite storage: identity and schema here, and one part per table group — runs (with
// idempotency keys), the transcript, the event log, tool calls, the outbox — plus what spans them (a requeue,
// a reset, retention dates). All calls are synchronous (Durable Object SQLite), so a sequence of
// them inside one transaction is atomic.

import { SubagentStore } from '../automation/subagents/store'
import type { SessionRef } from '../security/subject'
import { DeliveryStore } from './delivery-store'
import { EventLog } from './event-log'
import { ReadMemo } from './read-memo'
import { RunStore } from './run-store'
import { MIGRATIONS } from './schema'
import { ToolCallStore } from './tool-store'
import { TranscriptStore } from './transcript-store'

export { asUserMessage, type PendingMessage, type RunRecord, runPrincipals, runView } from './rows'
export { SCHEMA_VERSION } from './schema'

/** Oldest timestamps of what retention will delete (null when there is none). */
export interface OldestExpiring {
	event: number | null
	compacted: number | null
	idempotency: number | null
	run: number | null
	/** Sent or given-up deliveries (pending ones are never pruned). */
	delivery: number | null
}

export class LaneStore {
	readonly #sql: SqlStorage
	readonly runs: RunStore
	readonly transcript: TranscriptStore
	readonly events: EventLog
	/** The tool tables (jobs, approvals, grants). */
	readonly tools: ToolCallStore
	/** The outbox: messages for channels (reply parts, approvals). */
	readonly deliveries: DeliveryStore
	/** Subagents: a parent's children and their runs, a child's announces (src/automation/subagents/). */
	readonly subagents: SubagentStore
	/** Memo of `exists()`: a lane, once created, exists until `forget()` after its storage is wiped. */
	#exists = false
	#migrated = false
	#session: SessionRef | undefined
	#createdAt: number | undefined
	/** The meta table as read or written (null: no row). The lane is its only writer. */
	readonly #meta = new Map<string, string | null>()
	/** What the outbox and subagent stores read for the alarm, kept until they write. */
	readonly #reads = new ReadMemo()
	#ephemeral: boolean | undefined

	constructor(sql: SqlStorage) {
		this.#sql = sql
		this.runs = new RunStore(sql)
		this.transcript = new TranscriptStore(sql)
		this.events = new EventLog(sql)
		this.tools = new ToolCallStore(sql)
		const watched = this.#reads.watch(sql)
		this.deliveries = new DeliveryStore(watched, this.#reads)
		this.subagents = new SubagentStore(watched, this.#reads)
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
		this.#session = undefined
		this.rolledBack()
	}

	/** A transaction rolled back: what this object keeps of the tables may be ahead of them. */
	rolledBack(): void {
		this.#meta.clear()
		this.#reads.clear()
		this.#ephemeral = undefined
		this.transcript.forget()
		this.runs.forget()
	}

	/** Applies pending migrations (once per object); returns the version the storage is at. */
	migrate(): number {
		if (this.#migrated) return MIGRATIONS.length
		this.#sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
		const current = Number(this.getMeta('schema_version') ?? '0')
		for (let v = current; v < MIGRATIONS.length; v++) {
			this.#sql.exec(MIGRATIONS[v] as string)
			// A new lane is created inside its first message's transaction: one version write will do.
			if (current > 0 || v === MIGRATIONS.length - 1) this.setMeta('schema_version', String(v + 1))
		}
		this.#migrated = true
		this.#exists = true
		return MIGRATIONS.length
	}

	getMeta(key: string): string | undefined {
		const known = this.#meta.get(key)
		if (known !== undefined) return known ?? undefined
		const row = this.#sql
			.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)
			.toArray()[0]
		this.#meta.set(key, row?.value ?? null)
		return row?.value
	}

	setMeta(key: string, value: string): void {
		this.#sql.exec(
			'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
			key,
			value,
		)
		this.#meta.set(key, value)
	}

	/** When the session was created (memoised; it never changes). */
	createdAt(): number | undefined {
		this.#createdAt ??= Number(this.getMeta('created_at')) || undefined
		return this.#createdAt
	}

	/** True for a throwaway session (SubmitRequest.ephemeral), which deletes itself when done. */
	ephemeral(): boolean {
		this.#ephemeral ??= this.getMeta('ephemeral') === '1'
		return this.#ephemeral
	}

	/** Marks the session throwaway (when its first message creates it). */
	markEphemeral(): void {
		this.setMeta('ephemeral', '1')
		this.#ephemeral = true
	}

	session(): SessionRef | undefined {
		if (this.#session) return this.#session
		const raw = this.getMeta('session')
		this.#session = raw ? (JSON.parse(raw) as SessionRef) : undefined
		return this.#session
	}

	/**
	 * Puts a run that was cut off back at the head of the queue. Its input stays on the run, so
	 * the transcript entries it wrote when it started are removed; it writes them again.
	 */
	requeueAtHead(id: string): void {
		this.transcript.deleteRun(id)
		this.runs.requeueAtHead(id)
	}

	/**
	 * A new, empty transcript: messages, runs and idempotency keys go; events, identity and the
	 * outbox stay (its pending deliveries are answers already given).
	 */
	clearTranscript(): void {
		this.transcript.clear()
		this.runs.clear()
	}

	/** Oldest timestamps of what retention will delete, across the tables. */
	oldestExpiring(): OldestExpiring {
		return this.#sql
			.exec<{
				event: number | null
				compacted: number | null
				idempotency: number | null
				run: number | null
				delivery: number | null
			}>(
				`SELECT (SELECT min(ts) FROM events) AS event,
				 (SELECT min(created_at) FROM messages WHERE compacted = 1) AS compacted,
				 (SELECT min(created_at) FROM idempotency) AS idempotency,
				 (SELECT min(finished_at) FROM runs WHERE finished_at IS NOT NULL) AS run,
				 (SELECT min(created_at) FROM deliveries WHERE status IN ('sent', 'failed')) AS delivery`,
			)
			.one()
	}
}
