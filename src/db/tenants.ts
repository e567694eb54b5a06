// Tenant queries. Tenants are created by the bootstrap admin; everything else hangs off them.
import { asc, eq } from 'drizzle-orm'
import { TtlCache } from './cache'
import type { Db } from './client'
import { type Tenant, tenants } from './schema'

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

/** What the hot path needs of a tenant's settings. */
export interface TenantLimits {
	/** Cap on concurrently running turns across the tenant's sessions; null = none. */
	maxConcurrentRuns: number | null
	/** Tokens (input + output) the tenant may use per UTC day; null = unlimited. */
	dailyTokenBudget: number | null
	/** Which tenant request counter applies (wrangler.toml RATE_LIMIT_TENANT*). */
	rateLimitTier: RateLimitTier
}

export const RATE_LIMIT_TIERS = ['low', 'standard', 'high'] as const
export type RateLimitTier = (typeof RATE_LIMIT_TIERS)[number]

export function rateLimitTier(settings: unknown): RateLimitTier {
	const t =
		settings && typeof settings === 'object'
			? (settings as { rateLimitTier?: unknown }).rateLimitTier
			: undefined
	return (RATE_LIMIT_TIERS as readonly unknown[]).includes(t) ? (t as RateLimitTier) : 'standard'
}

const limitsCache = new TtlCache<TenantLimits | null>(30_000)

/** The tenant's limits (null when the tenant does not exist), cached per isolate for 30 s. */
export function tenantLimits(db: Db, tenantId: string): Promise<TenantLimits | null> {
	return limitsCache.get(tenantId, async () => {
		const tenant = await getTenant(db, tenantId)
		return tenant
			? {
					maxConcurrentRuns: maxConcurrentRuns(tenant.settings),
					dailyTokenBudget: dailyTokenBudget(tenant.settings),
					rateLimitTier: rateLimitTier(tenant.settings),
				}
			: null
	})
}

/** Reads `dailyTokenBudget` from tenant settings JSON; null (unlimited) unless a valid count. */
export function dailyTokenBudget(settings: unknown): number | null {
	if (settings && typeof settings === 'object' && 'dailyTokenBudget' in settings) {
		const n = (settings as { dailyTokenBudget: unknown }).dailyTokenBudget
		if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n
	}
	return null
}

/** Reads `maxConcurrentRuns` from tenant settings JSON; null (no cap) unless it is a valid cap. */
export function maxConcurrentRuns(settings: unknown): number | null {
	if (settings && typeof settings === 'object' && 'maxConcurrentRuns' in settings) {
		const n = (settings as { maxConcurrentRuns: unknown }).maxConcurrentRuns
		if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 100_000) return n
	}
	return null
}
