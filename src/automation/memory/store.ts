// Agent memory in D1: the `memories` rows (src/db/memory-schema.ts) and their FTS5 index
// (migrations/0009_memory.sql). Every statement names the tenant and agent, so no query can
// reach another tenant's rows; the per-agent cap is checked inside the INSERT itself.
import { ftsQuery } from './fts'
import {
	MEMORY_LIMITS,
	type Memory,
	MemoryError,
	type MemoryHit,
	type MemoryInput,
	type MemoryOwner,
	type MemoryView,
} from './model'

interface MemoryRecord {
	seq: number
	id: string
	user_key: string
	text: string
	tags: string
	pinned: number
	created_by: string
	source_session: string | null
	source_run: string | null
	created_at: number
	updated_at: number
}

const COLUMNS =
	'm.seq, m.id, m.user_key, m.text, m.tags, m.pinned, m.created_by, m.source_session, m.source_run, m.created_at, m.updated_at'

export const memoryOf = (r: MemoryRecord): Memory => ({
	id: r.id,
	text: r.text,
	tags: parseTags(r.tags),
	pinned: r.pinned === 1,
	scope: r.user_key === '' ? 'agent' : 'user',
	user: r.user_key === '' ? null : r.user_key,
	createdBy: r.created_by,
	sourceSession: r.source_session,
	sourceRun: r.source_run,
	createdAt: r.created_at,
	updatedAt: r.updated_at,
})

function parseTags(raw: string): string[] {
	try {
		const tags = JSON.parse(raw) as unknown
		return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : []
	} catch {
		return []
	}
}

/** The condition on the visible user keys (at most two: shared and one user), bound by `usersOf`. */
const usersIn = (view: MemoryView, column = 'm.user_key') =>
	view.users === null ? '1 = 1' : `${column} IN (${view.users.map(() => '?').join(', ')})`
const usersOf = (view: MemoryView): readonly string[] => view.users ?? []

export interface NewMemory extends MemoryInput {
	id: string
	createdBy: string
	sourceSession?: string | undefined
	sourceRun?: string | undefined
	now: number
}

/** Inserts one memory; `memory_full` when the agent already holds the most it may. */
export async function insertMemory(
	db: D1Database,
	owner: MemoryOwner,
	input: NewMemory,
): Promise<Memory> {
	const row = await db
		.prepare(
			`INSERT INTO memories (id, tenant_id, agent_id, user_key, text, tags, pinned, created_by, source_session, source_run, created_at, updated_at)
			 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11
			 WHERE (SELECT count(*) FROM memories WHERE tenant_id = ?2 AND agent_id = ?3) < ?12
			 RETURNING seq, id, user_key, text, tags, pinned, created_by, source_session, source_run, created_at, updated_at`,
		)
		.bind(
			input.id,
			owner.tenantId,
			owner.agentId,
			owner.user,
			input.text,
			JSON.stringify(input.tags),
			input.pinned ? 1 : 0,
			input.createdBy,
			input.sourceSession ?? null,
			input.sourceRun ?? null,
			input.now,
			MEMORY_LIMITS.perAgent,
		)
		.first<MemoryRecord>()
	if (!row) {
		throw new MemoryError(
			'memory_full',
			`The agent's memory is full (${MEMORY_LIMITS.perAgent} entries): forget some first.`,
		)
	}
	return memoryOf(row)
}

/** Replaces text, tags and pin of a memory the owner holds; null when it holds none by that id. */
export async function updateMemory(
	db: D1Database,
	owner: MemoryOwner,
	id: string,
	input: MemoryInput & { now: number },
): Promise<Memory | null> {
	const row = await db
		.prepare(
			`UPDATE memories SET text = ?, tags = ?, pinned = ?, updated_at = ?
			 WHERE tenant_id = ? AND agent_id = ? AND user_key = ? AND id = ?
			 RETURNING seq, id, user_key, text, tags, pinned, created_by, source_session, source_run, created_at, updated_at`,
		)
		.bind(
			input.text,
			JSON.stringify(input.tags),
			input.pinned ? 1 : 0,
			input.now,
			owner.tenantId,
			owner.agentId,
			owner.user,
			id,
		)
		.first<MemoryRecord>()
	return row ? memoryOf(row) : null
}

export async function getMemory(
	db: D1Database,
	view: MemoryView,
	id: string,
): Promise<Memory | null> {
	const row = await db
		.prepare(
			`SELECT ${COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.agent_id = ? AND ${usersIn(view)} AND m.id = ?`,
		)
		.bind(view.tenantId, view.agentId, ...usersOf(view), id)
		.first<MemoryRecord>()
	return row ? memoryOf(row) : null
}

/** Several memories by id, only those the view sees (what Vectorize matches are checked against). */
export async function getMemories(
	db: D1Database,
	view: MemoryView,
	ids: readonly string[],
): Promise<Memory[]> {
	if (ids.length === 0) return []
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.agent_id = ? AND ${usersIn(view)} AND m.id IN (${ids.map(() => '?').join(', ')})`,
		)
		.bind(view.tenantId, view.agentId, ...usersOf(view), ...ids)
		.all<MemoryRecord>()
	return results.map(memoryOf)
}

/** Deletes a memory the view sees; false when there is none by that id. */
export async function deleteMemory(db: D1Database, view: MemoryView, id: string): Promise<boolean> {
	const row = await db
		.prepare(
			`DELETE FROM memories WHERE tenant_id = ? AND agent_id = ? AND ${usersIn(view, 'user_key')} AND id = ? RETURNING id`,
		)
		.bind(view.tenantId, view.agentId, ...usersOf(view), id)
		.first<{ id: string }>()
	return row !== null
}

/** A page of one owner's memories, newest first; `before` is the last page's cursor. */
export async function listMemories(
	db: D1Database,
	view: MemoryView,
	page: { limit: number; before?: number | undefined },
): Promise<{ memories: Memory[]; next: number | null }> {
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.agent_id = ? AND ${usersIn(view)} AND m.seq < ?
			 ORDER BY m.seq DESC LIMIT ?`,
		)
		.bind(
			view.tenantId,
			view.agentId,
			...usersOf(view),
			page.before ?? Number.MAX_SAFE_INTEGER,
			page.limit + 1,
		)
		.all<MemoryRecord>()
	const more = results.length > page.limit
	const rows = more ? results.slice(0, page.limit) : results
	return { memories: rows.map(memoryOf), next: more ? (rows.at(-1)?.seq ?? null) : null }
}

/** Full-text search over the view's memories, best first (bm25; its lower is better). */
export async function searchFulltext(
	db: D1Database,
	view: MemoryView,
	query: string,
	limit: number,
): Promise<MemoryHit[]> {
	const match = ftsQuery(query)
	if (match === undefined) return []
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS}, bm25(memories_fts) AS rank FROM memories_fts
			 JOIN memories m ON m.seq = memories_fts.rowid
			 WHERE memories_fts MATCH ? AND m.tenant_id = ? AND m.agent_id = ? AND ${usersIn(view)}
			 ORDER BY rank LIMIT ?`,
		)
		.bind(match, view.tenantId, view.agentId, ...usersOf(view), limit)
		.all<MemoryRecord & { rank: number }>()
	return results.map((r) => ({ ...memoryOf(r), score: -r.rank }))
}

/** Pinned memories the view sees, most recently updated first (the budget takes from the front). */
export async function pinnedMemories(
	db: D1Database,
	view: MemoryView,
	limit: number,
): Promise<Memory[]> {
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.agent_id = ? AND m.pinned = 1 AND ${usersIn(view)}
			 ORDER BY m.updated_at DESC, m.seq DESC LIMIT ?`,
		)
		.bind(view.tenantId, view.agentId, ...usersOf(view), limit)
		.all<MemoryRecord>()
	return results.map(memoryOf)
}
