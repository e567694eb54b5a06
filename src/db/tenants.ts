// Tenant rows: created, changed, disabled and deleted by the platform admin; everything else hangs
// off them. The hot path reads a tenant's status and limits through a short per-isolate cache;
// every write here drops it in this isolate at once.
import { and, asc, eq, sql } from 'drizzle-orm'
import { TtlCache } from './cache'
import type { Db } from './client'
import { auditLog, type Tenant, tenants } from './schema'
import {
	limitsOf,
	readSettings,
	type TenantLimits,
	type TenantSettingsPatch,
} from './tenant-settings'

export type TenantStatus = Tenant['status']

/** The audit action that records a deletion (and marks the id as used for good). */
export const TENANT_DELETED = 'tenant.deleted'

export async function listTenants(db: Db, limit = 100): Promise<Tenant[]> {
	return db.select().from(tenants).orderBy(asc(tenants.id)).limit(limit)
}

export async function getTenant(db: Db, id: string): Promise<Tenant | undefined> {
	return db.select().from(tenants).where(eq(tenants.id, id)).get()
}

/** Inserts a tenant; returns undefined when the id is taken (no partial write either way). */
export async function createTenant(
	db: Db,
	input: { id: string; name: string },
	now: Date = new Date(),
): Promise<Tenant | undefined> {
	return db
		.insert(tenants)
		.values({ id: input.id, name: input.name, createdAt: now, updatedAt: now })
		.onConflictDoNothing()
		.returning()
		.get()
}

/**
 * Changes the name and merges a settings patch in one statement (SQLite's `json_patch` is RFC
 * 7396: `null` removes a key), so concurrent patches of different keys both land. Undefined when
 * the tenant does not exist.
 */
export async function updateTenant(
	db: Db,
	id: string,
	change: { name?: string; settings?: TenantSettingsPatch },
	now: Date = new Date(),
): Promise<Tenant | undefined> {
	const row = await db
		.update(tenants)
		.set({
			...(change.name !== undefined && { name: change.name }),
			...(change.settings !== undefined && {
				settings: sql`json_patch(${tenants.settings}, ${JSON.stringify(change.settings)})`,
			}),
			updatedAt: now,
		})
		.where(eq(tenants.id, id))
		.returning()
		.get()
	forget(id)
	return row
}

/** Sets `active` or `disabled`; undefined when the tenant does not exist. */
export async function setTenantStatus(
	db: Db,
	id: string,
	status: TenantStatus,
	now: Date = new Date(),
): Promise<Tenant | undefined> {
	const row = await db
		.update(tenants)
		.set({ status, updatedAt: now })
		.where(eq(tenants.id, id))
		.returning()
		.get()
	forget(id)
	return row
}

/**
 * Deletes the tenant; D1 cascades to its agents (and their versions, channels and session index
 * rows), keys, policies, secrets, tool executions and usage. The audit log has no foreign key and
 * stays. False when there was no such tenant.
 */
export async function deleteTenant(db: Db, id: string): Promise<boolean> {
	const rows = await db.delete(tenants).where(eq(tenants.id, id)).returning({ id: tenants.id })
	forget(id)
	return rows.length > 0
}

/**
 * True when the id belonged to a tenant that was deleted: its `tenant.deleted` audit row outlives
 * it. Such an id is never handed out again, or a new tenant would inherit the old one's session
 * objects and audit chain, which are named by it.
 */
export async function wasDeleted(db: Db, id: string): Promise<boolean> {
	const row = await db
		.select({ seq: auditLog.seq })
		.from(auditLog)
		.where(and(eq(auditLog.tenantId, id), eq(auditLog.action, TENANT_DELETED)))
		.limit(1)
		.get()
	return row !== undefined
}

/** What the hot path needs of a tenant: whether it is enabled and its limits. */
export interface TenantState {
	status: TenantStatus
	limits: TenantLimits
}

/** How stale another isolate's view of a tenant's status and settings can be. */
export const TENANT_CACHE_TTL_MS = 10_000
const stateCache = new TtlCache<TenantState | null>(TENANT_CACHE_TTL_MS)

function forget(id: string): void {
	stateCache.delete(id)
}

/** The tenant's status and limits (null when it does not exist), cached per isolate for 10 s. */
export function tenantState(db: Db, tenantId: string): Promise<TenantState | null> {
	return stateCache.get(tenantId, async () => {
		const tenant = await getTenant(db, tenantId)
		return tenant
			? { status: tenant.status, limits: limitsOf(readSettings(tenant.settings)) }
			: null
	})
}

/** The tenant's limits (null when the tenant does not exist), through the same cache. */
export async function tenantLimits(db: Db, tenantId: string): Promise<TenantLimits | null> {
	return (await tenantState(db, tenantId))?.limits ?? null
}
