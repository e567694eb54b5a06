// Tenant secret rows (D1 `tenant_secrets`): sealed values by tenant and name. Only the secrets
// store (src/security/credentials.ts, the secrets routes) reads ciphertext; lists carry names.
import { and, asc, eq, gt, ne, or } from 'drizzle-orm'
import type { SealedSecret } from '../security/secrets'
import type { Db } from './client'
import { tenantSecrets } from './schema'

export type TenantSecretRow = typeof tenantSecrets.$inferSelect

/** What a list shows: never the value, never the ciphertext. */
export interface TenantSecretInfo {
	name: string
	keyId: string
	createdAt: Date
	updatedAt: Date
	updatedBy: string
}

export const MAX_SECRETS_PER_TENANT = 500

const INFO = {
	name: tenantSecrets.name,
	keyId: tenantSecrets.keyId,
	createdAt: tenantSecrets.createdAt,
	updatedAt: tenantSecrets.updatedAt,
	updatedBy: tenantSecrets.updatedBy,
}

export function getTenantSecretInfo(
	db: Db,
	tenantId: string,
	name: string,
): Promise<TenantSecretInfo | undefined> {
	return db
		.select(INFO)
		.from(tenantSecrets)
		.where(and(eq(tenantSecrets.tenantId, tenantId), eq(tenantSecrets.name, name)))
		.get()
}

export function listTenantSecrets(db: Db, tenantId: string): Promise<TenantSecretInfo[]> {
	return db
		.select(INFO)
		.from(tenantSecrets)
		.where(eq(tenantSecrets.tenantId, tenantId))
		.orderBy(asc(tenantSecrets.name))
		.limit(MAX_SECRETS_PER_TENANT)
}

/** The names the tenant has stored (what a config may name as its own). */
export async function tenantSecretNames(db: Db, tenantId: string): Promise<Set<string>> {
	const rows = await db
		.select({ name: tenantSecrets.name })
		.from(tenantSecrets)
		.where(eq(tenantSecrets.tenantId, tenantId))
		.limit(MAX_SECRETS_PER_TENANT)
	return new Set(rows.map((r) => r.name))
}

export async function getSealedSecret(
	db: Db,
	tenantId: string,
	name: string,
): Promise<SealedSecret | undefined> {
	return db
		.select({
			keyId: tenantSecrets.keyId,
			iv: tenantSecrets.iv,
			ciphertext: tenantSecrets.ciphertext,
		})
		.from(tenantSecrets)
		.where(and(eq(tenantSecrets.tenantId, tenantId), eq(tenantSecrets.name, name)))
		.get()
}

/** Stores a sealed value: `created` when the name was new, else the old value was replaced. */
export async function putSealedSecret(
	db: Db,
	slot: { tenantId: string; name: string },
	sealed: SealedSecret,
	actor: string,
	now = new Date(),
): Promise<'created' | 'replaced'> {
	const inserted = await db
		.insert(tenantSecrets)
		.values({ ...slot, ...sealed, createdAt: now, updatedAt: now, updatedBy: actor })
		.onConflictDoNothing()
		.returning({ name: tenantSecrets.name })
	if (inserted.length > 0) return 'created'
	await db
		.update(tenantSecrets)
		.set({ ...sealed, updatedAt: now, updatedBy: actor })
		.where(and(eq(tenantSecrets.tenantId, slot.tenantId), eq(tenantSecrets.name, slot.name)))
	return 'replaced'
}

/** Deletes one secret of the tenant; false when it has none by that name. */
export async function deleteTenantSecret(db: Db, tenantId: string, name: string): Promise<boolean> {
	const rows = await db
		.delete(tenantSecrets)
		.where(and(eq(tenantSecrets.tenantId, tenantId), eq(tenantSecrets.name, name)))
		.returning({ name: tenantSecrets.name })
	return rows.length > 0
}

/** A page of rows sealed under any key but `keyId`, after a (tenant, name) cursor, in key order. */
export function rowsNotUnderKey(
	db: Db,
	keyId: string,
	limit: number,
	after?: { tenantId: string; name: string },
): Promise<TenantSecretRow[]> {
	const notUnder = ne(tenantSecrets.keyId, keyId)
	return db
		.select()
		.from(tenantSecrets)
		.where(
			after
				? and(
						notUnder,
						or(
							gt(tenantSecrets.tenantId, after.tenantId),
							and(eq(tenantSecrets.tenantId, after.tenantId), gt(tenantSecrets.name, after.name)),
						),
					)
				: notUnder,
		)
		.orderBy(asc(tenantSecrets.tenantId), asc(tenantSecrets.name))
		.limit(limit)
}

/**
 * Replaces a row's sealed value only if it is still sealed under `fromKeyId` (a PUT that raced the
 * rotation wins); true when the row was re-sealed.
 */
export async function resealSecret(
	db: Db,
	slot: { tenantId: string; name: string },
	fromKeyId: string,
	sealed: SealedSecret,
): Promise<boolean> {
	const rows = await db
		.update(tenantSecrets)
		.set(sealed)
		.where(
			and(
				eq(tenantSecrets.tenantId, slot.tenantId),
				eq(tenantSecrets.name, slot.name),
				eq(tenantSecrets.keyId, fromKeyId),
			),
		)
		.returning({ name: tenantSecrets.name })
	return rows.length > 0
}
