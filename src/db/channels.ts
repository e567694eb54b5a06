// Channel rows in D1: the channels themselves, the senders pairing admitted, pending pairing codes
// and the dead letters of the outbox. Inbound webhooks read a channel through a short per-isolate
// cache; writes made in this isolate drop their entry at once.
import { and, asc, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm'
import { TtlCache } from './cache'
import type { Db } from './client'
import { channelAllow, channelDeadLetters, channelPairings, channels } from './schema'

export type ChannelRow = typeof channels.$inferSelect
export type PairingRow = typeof channelPairings.$inferSelect
export type AllowedSender = typeof channelAllow.$inferSelect
export type DeadLetterRow = typeof channelDeadLetters.$inferSelect

export const MAX_CHANNELS_PER_TENANT = 200

/** A channel's config reaches every isolate within this time (and so does its deletion). */
export const CHANNEL_CACHE_TTL_MS = 10_000

const channelCache = new TtlCache<ChannelRow | null>(CHANNEL_CACHE_TTL_MS, 2_000)
const allowCache = new TtlCache<true>(CHANNEL_CACHE_TTL_MS, 10_000)
const key = (...parts: string[]) => parts.join('\u0000')

export function listChannels(db: Db, tenantId: string): Promise<ChannelRow[]> {
	return db
		.select()
		.from(channels)
		.where(eq(channels.tenantId, tenantId))
		.orderBy(asc(channels.id))
		.limit(MAX_CHANNELS_PER_TENANT)
}

export function getChannel(db: Db, tenantId: string, id: string): Promise<ChannelRow | undefined> {
	return db
		.select()
		.from(channels)
		.where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)))
		.get()
}

/** The channel as the hot path sees it (inbound webhooks, deliveries); absence is cached too. */
export function cachedChannel(db: Db, tenantId: string, id: string): Promise<ChannelRow | null> {
	return channelCache.get(
		key(tenantId, id),
		async () => (await getChannel(db, tenantId, id)) ?? null,
	)
}

export async function countChannels(db: Db, tenantId: string): Promise<number> {
	const row = await db
		.select({ n: sql<number>`count(*)` })
		.from(channels)
		.where(eq(channels.tenantId, tenantId))
		.get()
	return row?.n ?? 0
}

export interface ChannelWrite {
	tenantId: string
	id: string
	kind: string
	agentId: string
	config: unknown
	enabled: boolean
}

/** Inserts a channel; false when the id is taken. */
export async function insertChannel(db: Db, row: ChannelWrite): Promise<boolean> {
	const inserted = await db
		.insert(channels)
		.values(row)
		.onConflictDoNothing()
		.returning({ id: channels.id })
	forgetChannel(row.tenantId, row.id)
	return inserted.length > 0
}

/** Replaces a channel's agent, config and state (its kind never changes); false when missing. */
export async function updateChannel(db: Db, row: ChannelWrite): Promise<boolean> {
	const updated = await db
		.update(channels)
		.set({ agentId: row.agentId, config: row.config, enabled: row.enabled, updatedAt: new Date() })
		.where(and(eq(channels.tenantId, row.tenantId), eq(channels.id, row.id)))
		.returning({ id: channels.id })
	forgetChannel(row.tenantId, row.id)
	return updated.length > 0
}

export async function deleteChannel(db: Db, tenantId: string, id: string): Promise<boolean> {
	const deleted = await db
		.delete(channels)
		.where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)))
		.returning({ id: channels.id })
	forgetChannel(tenantId, id)
	return deleted.length > 0
}

export function forgetChannel(tenantId: string, id: string): void {
	channelCache.delete(key(tenantId, id))
}

// ── senders admitted by pairing ───────────────────────────────────────────────────────────────

/**
 * True when pairing admitted the sender. Admissions are cached briefly (a removal reaches every
 * isolate within 10 s); a "no" is not, so a sender approved in another isolate is let in at once.
 */
export async function isPaired(
	db: Db,
	tenantId: string,
	channelId: string,
	senderId: string,
): Promise<boolean> {
	const k = key(tenantId, channelId, senderId)
	if (allowCache.peek(k)) return true
	const row = await db
		.select({ id: channelAllow.senderId })
		.from(channelAllow)
		.where(
			and(
				eq(channelAllow.tenantId, tenantId),
				eq(channelAllow.channelId, channelId),
				eq(channelAllow.senderId, senderId),
			),
		)
		.get()
	if (row) allowCache.put(k, true)
	return row !== undefined
}

export function listPaired(db: Db, tenantId: string, channelId: string): Promise<AllowedSender[]> {
	return db
		.select()
		.from(channelAllow)
		.where(and(eq(channelAllow.tenantId, tenantId), eq(channelAllow.channelId, channelId)))
		.orderBy(asc(channelAllow.createdAt))
		.limit(1_000)
}

export async function removePaired(
	db: Db,
	tenantId: string,
	channelId: string,
	senderId: string,
): Promise<boolean> {
	const deleted = await db
		.delete(channelAllow)
		.where(
			and(
				eq(channelAllow.tenantId, tenantId),
				eq(channelAllow.channelId, channelId),
				eq(channelAllow.senderId, senderId),
			),
		)
		.returning({ id: channelAllow.senderId })
	allowCache.delete(key(tenantId, channelId, senderId))
	return deleted.length > 0
}

// ── pairing codes ───────────────────────────────────────────────────────────────────────────

/** Pending (unexpired) pairing requests of a channel, oldest first. */
export function pendingPairings(
	db: Db,
	tenantId: string,
	channelId: string,
	now: number,
): Promise<PairingRow[]> {
	return db
		.select()
		.from(channelPairings)
		.where(
			and(
				eq(channelPairings.tenantId, tenantId),
				eq(channelPairings.channelId, channelId),
				gt(channelPairings.expiresAt, new Date(now)),
			),
		)
		.orderBy(asc(channelPairings.createdAt))
		.limit(100)
}

/** Drops a channel's expired requests (their codes stop working; the senders may ask again). */
export async function pruneExpiredPairings(
	db: Db,
	tenantId: string,
	channelId: string,
	now: number,
): Promise<void> {
	await db
		.delete(channelPairings)
		.where(
			and(
				eq(channelPairings.tenantId, tenantId),
				eq(channelPairings.channelId, channelId),
				lte(channelPairings.expiresAt, new Date(now)),
			),
		)
}

/** Stores a new request; false when the code or the sender already has one (a race: ask again). */
/**
 * Stores a new request while the channel has fewer than `maxPending` unexpired ones, in one
 * statement (two strangers at once cannot both take the last slot). False when the cap is reached,
 * or the code or the sender already has a request (a race: look again).
 */
export async function insertPairing(
	db: Db,
	row: typeof channelPairings.$inferInsert & { notifiedAt: Date; expiresAt: Date },
	maxPending: number,
	now: number,
): Promise<boolean> {
	const inserted = await db.all<{ code: string }>(sql`
		INSERT INTO channel_pairings
			(tenant_id, channel_id, code, sender_id, sender_name, reply_to, event_key, notified_at, expires_at)
		SELECT ${row.tenantId}, ${row.channelId}, ${row.code}, ${row.senderId}, ${row.senderName ?? null},
			${JSON.stringify(row.replyTo)}, ${row.eventKey}, ${row.notifiedAt.getTime()}, ${row.expiresAt.getTime()}
		WHERE (SELECT count(*) FROM channel_pairings
			WHERE tenant_id = ${row.tenantId} AND channel_id = ${row.channelId} AND expires_at > ${now}) < ${maxPending}
		ON CONFLICT DO NOTHING
		RETURNING code`)
	return inserted.length > 0
}

export async function markPairingNotified(
	db: Db,
	row: Pick<PairingRow, 'tenantId' | 'channelId' | 'code'>,
	at: number,
): Promise<void> {
	await db
		.update(channelPairings)
		.set({ notifiedAt: new Date(at) })
		.where(
			and(
				eq(channelPairings.tenantId, row.tenantId),
				eq(channelPairings.channelId, row.channelId),
				eq(channelPairings.code, row.code),
			),
		)
}

/**
 * Approves an unexpired code: its sender joins the channel's admitted senders and the request is
 * gone, in one batch. Undefined when no such pending code exists.
 */
export async function approvePairing(
	db: Db,
	tenantId: string,
	channelId: string,
	code: string,
	by: string,
	now: number,
): Promise<PairingRow | undefined> {
	const match = and(
		eq(channelPairings.tenantId, tenantId),
		eq(channelPairings.channelId, channelId),
		eq(channelPairings.code, code),
		gt(channelPairings.expiresAt, new Date(now)),
	)
	const pending = await db.select().from(channelPairings).where(match).get()
	if (!pending) return undefined
	// One batch (one transaction): the sender is admitted only from the request as it still is,
	// and the request goes with it — never an admission without its code, never twice.
	const [, removed] = await db.batch([
		db
			.insert(channelAllow)
			.select(
				db
					.select({
						tenantId: channelPairings.tenantId,
						channelId: channelPairings.channelId,
						senderId: channelPairings.senderId,
						name: channelPairings.senderName,
						addedBy: sql<string>`${by}`.as('added_by'),
						createdAt: sql<Date>`${now}`.as('created_at'),
					})
					.from(channelPairings)
					.where(match),
			)
			.onConflictDoNothing(),
		db.delete(channelPairings).where(match).returning({ code: channelPairings.code }),
	])
	allowCache.delete(key(tenantId, channelId, pending.senderId))
	return removed.length > 0 ? pending : undefined
}

// ── dead letters ──────────────────────────────────────────────────────────────────────────────

/** Dead letters are kept this long; older ones of a channel go whenever it records a new one. */
export const DEAD_LETTER_RETENTION_MS = 7 * 24 * 3600_000
/** Most expired dead letters one record deletes (a backlog goes over the next records). */
const DEAD_LETTER_PRUNE_BATCH = 100

/**
 * Records a dead letter (idempotent by delivery id) and prunes the channel's dead letters older
 * than DEAD_LETTER_RETENTION_MS, in one batch: the table grows only with what failed this week.
 */
export async function recordDeadLetter(
	db: Db,
	row: typeof channelDeadLetters.$inferInsert,
): Promise<void> {
	const ofChannel = and(
		eq(channelDeadLetters.tenantId, row.tenantId),
		eq(channelDeadLetters.channelId, row.channelId),
	)
	const expired = db
		.select({ id: channelDeadLetters.deliveryId })
		.from(channelDeadLetters)
		.where(
			and(
				ofChannel,
				lt(
					channelDeadLetters.failedAt,
					new Date(row.failedAt.getTime() - DEAD_LETTER_RETENTION_MS),
				),
			),
		)
		.limit(DEAD_LETTER_PRUNE_BATCH)
	await db.batch([
		db.insert(channelDeadLetters).values(row).onConflictDoNothing(),
		db
			.delete(channelDeadLetters)
			.where(and(ofChannel, inArray(channelDeadLetters.deliveryId, expired))),
	])
}

export function listDeadLetters(
	db: Db,
	tenantId: string,
	channelId: string,
	limit: number,
): Promise<DeadLetterRow[]> {
	return db
		.select()
		.from(channelDeadLetters)
		.where(
			and(eq(channelDeadLetters.tenantId, tenantId), eq(channelDeadLetters.channelId, channelId)),
		)
		.orderBy(desc(channelDeadLetters.failedAt))
		.limit(limit)
}
