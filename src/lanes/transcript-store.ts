// The lane's transcript in its SQLite: messages (a summary among them once compacted), the counts
// triggers keep of them, and the active transcript cached in memory because every turn reads it.
// Part of LaneStore (`store.transcript`); every change to messages goes through here.
import type { MessagePart } from '../agents/runner'
import { bytesOf, type MessageRow, toMessage } from './rows'
import type { MessageView } from './types'

export class TranscriptStore {
	readonly #sql: SqlStorage
	#active: MessageView[] | undefined

	constructor(sql: SqlStorage) {
		this.#sql = sql
	}

	/** The storage changed under this object (wiped): drop the cached transcript. */
	forget(): void {
		this.#active = undefined
	}

	insert(m: {
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
		if (kind === 'summary') this.#active = undefined
		else
			this.#active?.push({
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
		this.#active = undefined
	}

	/** Drops every message of a run (it is queued again and writes them again when it starts). */
	deleteRun(runId: string): void {
		this.#active = undefined
		this.#sql.exec('DELETE FROM messages WHERE run_id = ?', runId)
	}

	/**
	 * The transcript the model sees: the active summary first, then active messages, oldest first.
	 * Kept in memory once read (every change to it goes through this class); callers must not
	 * mutate it.
	 */
	active(): readonly MessageView[] {
		this.#active ??= this.#sql
			.exec<MessageRow>(
				"SELECT * FROM messages WHERE compacted = 0 ORDER BY kind = 'summary' DESC, seq",
			)
			.toArray()
			.map(toMessage)
		return this.#active
	}

	list(afterSeq: number, limit: number): MessageView[] {
		return this.#sql
			.exec<MessageRow>(
				'SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?',
				afterSeq,
				limit,
			)
			.toArray()
			.map(toMessage)
	}

	markCompacted(upToSeq: number): number {
		this.#active = undefined
		return this.#sql.exec(
			'UPDATE messages SET compacted = 1 WHERE compacted = 0 AND seq <= ?',
			upToSeq,
		).rowsWritten
	}

	/** Counts kept by triggers on `messages`, so reading them costs one row, not a scan. */
	stats(): { active: number; compacted: number; bytes: number; tokens: number } {
		return this.#sql
			.exec<{ active: number; compacted: number; bytes: number; tokens: number }>(
				'SELECT active, compacted, bytes, tokens FROM message_stats WHERE id = 1',
			)
			.one()
	}

	pruneCompacted(olderThan: number): number {
		return this.#sql.exec('DELETE FROM messages WHERE compacted = 1 AND created_at < ?', olderThan)
			.rowsWritten
	}

	/** Every message goes (a reset). */
	clear(): void {
		this.#active = undefined
		this.#sql.exec('DELETE FROM messages')
	}
}
