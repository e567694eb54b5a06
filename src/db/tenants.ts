// Tenant queries. Tenants are created by the bootstrap admin; everything else hangs off them.
import { asc, eq } from 'drizzle-orm'
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
