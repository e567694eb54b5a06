// A tenant's own policies (D1 `policies`): read for the engine through a short per-isolate cache,
// dropped on write; each read set carries a version so cached decisions never outlive it.
import { and, asc, eq } from 'drizzle-orm'
import type { Policy } from '../security/policy'
import { TtlCache } from './cache'
import type { Db } from './client'
import { policies } from './schema'

export type PolicyRow = typeof policies.$inferSelect

export interface TenantPolicySet {
	version: string
	policies: Policy[]
}

export const POLICY_CACHE_TTL_MS = 10_000
const cache = new TtlCache<TenantPolicySet>(POLICY_CACHE_TTL_MS)
let generation = 0

export const toPolicy = (r: PolicyRow): Policy => ({
	id: `tenant:${r.id}`,
	effect: r.effect,
	resources: r.resources as string[],
	actions: r.actions as string[],
	conditions: r.conditions as Policy['conditions'],
	priority: r.priority,
})

export function tenantPolicies(db: Db, tenantId: string): Promise<TenantPolicySet> {
	return cache.get(tenantId, async () => {
		const rows = await listPolicies(db, tenantId)
		return {
			version: `${tenantId}:${++generation}`,
			policies: rows.filter((r) => r.enabled).map(toPolicy),
		}
	})
}

export function listPolicies(db: Db, tenantId: string): Promise<PolicyRow[]> {
	return db
		.select()
		.from(policies)
		.where(eq(policies.tenantId, tenantId))
		.orderBy(asc(policies.priority), asc(policies.id))
		.limit(500)
}

export async function insertPolicy(
	db: Db,
	row: Omit<typeof policies.$inferInsert, 'createdAt' | 'updatedAt'>,
): Promise<PolicyRow | undefined> {
	const created = await db.insert(policies).values(row).onConflictDoNothing().returning().get()
	cache.delete(row.tenantId)
	return created
}

export async function deletePolicy(db: Db, tenantId: string, id: string): Promise<boolean> {
	const rows = await db
		.delete(policies)
		.where(and(eq(policies.tenantId, tenantId), eq(policies.id, id)))
		.returning({ id: policies.id })
	cache.delete(tenantId)
	return rows.length > 0
}
