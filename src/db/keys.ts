// API key rows: create, look up by id (cached briefly per isolate), list, revoke, rotate, and the
// coalesced last-used time (at most one D1 write per key per isolate every 5 minutes).
import { and, desc, eq, isNull } from 'drizzle-orm'
import type { Role } from '../security/keys'
import { TtlCache } from './cache'
import type { Db } from './client'
import { apiKeys } from './schema'

export type KeyRow = typeof apiKeys.$inferSelect

/** Revocation reaches every isolate within this time. */
export const KEY_CACHE_TTL_MS = 10_000
const cache = new TtlCache<KeyRow | null>(KEY_CACHE_TTL_MS)

export function findKey(db: Db, id: string): Promise<KeyRow | null> {
	return cache.get(
		id,
		async () => (await db.select().from(apiKeys).where(eq(apiKeys.id, id)).get()) ?? null,
	)
}

export async function insertKey(
	db: Db,
	row: {
		id: string
		tenantId: string
		name: string
		secretHash: string
		role: Role
		scopes: string[]
		expiresAt: Date | null
	},
): Promise<KeyRow> {
	const [created] = await db.insert(apiKeys).values(row).returning()
	cache.delete(row.id)
	return created as KeyRow
}

export async function listKeys(db: Db, tenantId: string, limit = 200): Promise<KeyRow[]> {
	return db
		.select()
		.from(apiKeys)
		.where(eq(apiKeys.tenantId, tenantId))
		.orderBy(desc(apiKeys.createdAt))
		.limit(limit)
}

/** One key of the tenant by id, read from D1 (uncached: the key routes act on what is there now). */
export async function getKey(db: Db, tenantId: string, id: string): Promise<KeyRow | undefined> {
	return db
		.select()
		.from(apiKeys)
		.where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id)))
		.get()
}

/** Revokes a live key of the tenant; false when there is none by that id. */
export async function revokeKey(
	db: Db,
	tenantId: string,
	id: string,
	at = new Date(),
): Promise<boolean> {
	const rows = await db
		.update(apiKeys)
		.set({ revokedAt: at })
		.where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
		.returning({ id: apiKeys.id })
	cache.delete(id)
	return rows.length > 0
}

const LAST_USED_EVERY_MS = 5 * 60_000
const lastWritten = new Map<string, number>()

/** Records a use of the key, writing D1 at most once per key every 5 minutes per isolate. */
export function touchKey(db: Db, id: string, now = Date.now()): Promise<void> | undefined {
	const last = lastWritten.get(id)
	if (last !== undefined && now - last < LAST_USED_EVERY_MS) return undefined
	if (lastWritten.size > 10_000) lastWritten.clear()
	lastWritten.set(id, now)
	return db
		.update(apiKeys)
		.set({ lastUsedAt: new Date(now) })
		.where(eq(apiKeys.id, id))
		.then(() => undefined)
}

export function forgetKey(id: string): void {
	cache.delete(id)
}
