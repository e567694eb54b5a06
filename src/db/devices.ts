// OpenClaw device rows: pairing requests, paired devices and the hash of each device's token. A row
// is read by id through a 10 s per-isolate cache (as API keys are), so a removed device or a
// revoked token stops authenticating everywhere within that time; every write here drops it.
import { and, count, desc, eq, gt, lt } from 'drizzle-orm'
import type { Role } from '../security/keys'
import { TtlCache } from './cache'
import type { Db } from './client'
import { KEY_CACHE_TTL_MS } from './keys'
import { devices } from './schema'

export type DeviceRow = typeof devices.$inferSelect

const cache = new TtlCache<DeviceRow | null>(KEY_CACHE_TTL_MS)

/** A pairing request not decided within this time is gone (OpenClaw's pending TTL: 5 minutes). */
export const PENDING_TTL_MS = 5 * 60_000
/** Most live pairing requests a tenant may have at once; past it no new one is opened. */
export const MAX_PENDING = 100

/** Whether a row is a pairing request still open at `now`. */
export const isPending = (row: DeviceRow, now: number): boolean =>
	row.status === 'pending' && row.requestedAt.getTime() > now - PENDING_TTL_MS

/** A device row by its id (cached): what a device token and a live connection are checked against. */
export function findDevice(db: Db, id: string): Promise<DeviceRow | null> {
	return cache.get(
		id,
		async () => (await db.select().from(devices).where(eq(devices.id, id)).get()) ?? null,
	)
}

/** The tenant's row for a device id, read from D1 now (pairing decisions act on what is there). */
export async function deviceOf(
	db: Db,
	tenantId: string,
	deviceId: string,
): Promise<DeviceRow | undefined> {
	return db
		.select()
		.from(devices)
		.where(and(eq(devices.tenantId, tenantId), eq(devices.deviceId, deviceId)))
		.get()
}

/** A pending pairing request of the tenant by its id, read from D1 now. */
export async function pendingRequest(
	db: Db,
	tenantId: string,
	requestId: string,
	now: number,
): Promise<DeviceRow | undefined> {
	const row = await db
		.select()
		.from(devices)
		.where(and(eq(devices.tenantId, tenantId), eq(devices.id, requestId)))
		.get()
	return row && isPending(row, now) ? row : undefined
}

export async function listDevices(db: Db, tenantId: string, limit = 200): Promise<DeviceRow[]> {
	return db
		.select()
		.from(devices)
		.where(eq(devices.tenantId, tenantId))
		.orderBy(desc(devices.requestedAt))
		.limit(limit)
}

export interface PairingRequest {
	id: string
	tenantId: string
	deviceId: string
	publicKey: string
	displayName: string | null
	platform: string | null
	clientId: string | null
	clientMode: string | null
	scopes: string[]
	requestedBy: string
	requestedAt: Date
}

/**
 * Opens a pairing request for a device the tenant has not paired: an open request for the same
 * key is kept (and returned with `created: false`); a rejected, removed or expired one's row is
 * replaced by the new request. Undefined when the tenant already has MAX_PENDING open requests.
 */
export async function requestPairing(
	db: Db,
	request: PairingRequest,
): Promise<{ row: DeviceRow; created: boolean } | undefined> {
	const now = request.requestedAt.getTime()
	const existing = await deviceOf(db, request.tenantId, request.deviceId)
	if (existing && isPending(existing, now) && existing.publicKey === request.publicKey) {
		return { row: existing, created: false }
	}
	const cutoff = new Date(now - PENDING_TTL_MS)
	// Expired requests of the tenant are forgotten here, when a new one comes.
	await db
		.delete(devices)
		.where(
			and(
				eq(devices.tenantId, request.tenantId),
				eq(devices.status, 'pending'),
				lt(devices.requestedAt, cutoff),
			),
		)
	const open = await db
		.select({ n: count() })
		.from(devices)
		.where(
			and(
				eq(devices.tenantId, request.tenantId),
				eq(devices.status, 'pending'),
				gt(devices.requestedAt, cutoff),
			),
		)
		.get()
	if ((open?.n ?? 0) >= MAX_PENDING) return undefined
	if (existing) {
		await db.delete(devices).where(eq(devices.id, existing.id))
		cache.delete(existing.id)
	}
	const [row] = await db
		.insert(devices)
		.values({ ...request, status: 'pending' })
		.onConflictDoNothing()
		.returning()
	if (!row) {
		// Another connection of the same device opened it first.
		const raced = await deviceOf(db, request.tenantId, request.deviceId)
		if (!raced) throw new Error('pairing request vanished')
		return { row: raced, created: false }
	}
	return { row, created: true }
}

/** Decides an open request of the tenant; undefined when there is none by that id (or it expired). */
export async function decidePairing(
	db: Db,
	tenantId: string,
	requestId: string,
	decision:
		| { status: 'paired'; role: Role; scopes: string[]; keyScopes: string[] }
		| { status: 'rejected' },
	decidedBy: string,
	at: Date,
): Promise<DeviceRow | undefined> {
	const [row] = await db
		.update(devices)
		.set({ ...decision, decidedBy, decidedAt: at })
		.where(
			and(
				eq(devices.tenantId, tenantId),
				eq(devices.id, requestId),
				eq(devices.status, 'pending'),
				gt(devices.requestedAt, new Date(at.getTime() - PENDING_TTL_MS)),
			),
		)
		.returning()
	cache.delete(requestId)
	return row
}

/**
 * Stores a new token hash (or none: no live token) for a paired device of the tenant, and its new
 * (narrower) scopes when given.
 */
export async function setDeviceToken(
	db: Db,
	tenantId: string,
	id: string,
	token: { hash: string; at: Date } | null,
	scopes?: string[],
): Promise<DeviceRow | undefined> {
	return updatePaired(db, tenantId, id, {
		tokenHash: token?.hash ?? null,
		tokenIssuedAt: token?.at ?? null,
		...(scopes && { scopes }),
	})
}

/** Unpairs a device of the tenant (its token goes with it); undefined when it was not paired. */
export async function unpairDevice(
	db: Db,
	tenantId: string,
	id: string,
	decidedBy: string,
	at: Date,
): Promise<DeviceRow | undefined> {
	return updatePaired(db, tenantId, id, {
		status: 'revoked',
		tokenHash: null,
		tokenIssuedAt: null,
		decidedBy,
		decidedAt: at,
	})
}

/** Names a paired device of the tenant. */
export async function renameDevice(
	db: Db,
	tenantId: string,
	id: string,
	displayName: string,
): Promise<DeviceRow | undefined> {
	return updatePaired(db, tenantId, id, { displayName })
}

/** Changes a paired device of the tenant (and forgets it cached); undefined when none is paired. */
async function updatePaired(
	db: Db,
	tenantId: string,
	id: string,
	set: Partial<typeof devices.$inferInsert>,
): Promise<DeviceRow | undefined> {
	const [row] = await db
		.update(devices)
		.set(set)
		.where(and(eq(devices.tenantId, tenantId), eq(devices.id, id), eq(devices.status, 'paired')))
		.returning()
	cache.delete(id)
	return row
}
