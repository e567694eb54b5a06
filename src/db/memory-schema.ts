// The D1 table of agent memory (src/automation/memory/): notes an agent keeps across sessions.
// Its full-text index `memories_fts` is an FTS5 virtual table that drizzle-kit cannot describe:
// migrations/0009_memory.sql creates it and the triggers that keep it in step, by hand.
import { sql } from 'drizzle-orm'
import { foreignKey, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { agents } from './schema'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/**
 * One memory of an agent. `user_key` is `''` for the agent's shared memory, else the actor the
 * memory belongs to (`channel:telegram:42`, `jwt:alice`, `key:<id>`). `seq` is the rowid the
 * FTS index points at and the order of listing.
 */
export const memories = sqliteTable(
	'memories',
	{
		seq: integer('seq').primaryKey({ autoIncrement: true }),
		id: text('id').notNull(),
		tenantId: text('tenant_id').notNull(),
		agentId: text('agent_id').notNull(),
		userKey: text('user_key').notNull().default(''),
		text: text('text').notNull(),
		/** JSON array of short tags; indexed by FTS with the text. */
		tags: text('tags').notNull().default('[]'),
		/** Pinned memories go into the agent's system prompt, within its budget. */
		pinned: integer('pinned', { mode: 'boolean' }).notNull().default(false),
		/** Who wrote it: an actor (API) or `agent:<id>` (a tool call of a run). */
		createdBy: text('created_by').notNull(),
		sourceSession: text('source_session'),
		sourceRun: text('source_run'),
		createdAt: timestamp('created_at').notNull().default(sql`(unixepoch('subsec') * 1000)`),
		updatedAt: timestamp('updated_at').notNull().default(sql`(unixepoch('subsec') * 1000)`),
	},
	(t) => [
		uniqueIndex('memories_id_idx').on(t.id),
		index('memories_owner_idx').on(t.tenantId, t.agentId, t.userKey, t.seq),
		index('memories_pinned_idx').on(t.tenantId, t.agentId, t.pinned, t.updatedAt),
		foreignKey({
			columns: [t.tenantId, t.agentId],
			foreignColumns: [agents.tenantId, agents.id],
		}).onDelete('cascade'),
	],
)

export type MemoryRow = typeof memories.$inferSelect
