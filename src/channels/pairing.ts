// Pairing: how an unknown sender asks to talk to an agent under `dmPolicy: pairing`. They get a
// one-time code (8 characters without 0/O/1/I, valid 1 h, at most 3 pending per channel) and
// nothing reaches the agent; an operator approves the code and the sender is admitted.

import {
	insertPairing,
	markPairingNotified,
	type PairingRow,
	pendingPairings,
	pruneExpiredPairings,
} from '../db/channels'
import type { Db } from '../db/client'
import type { Envelope } from './plugin'

export const PAIRING_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
export const PAIRING_CODE_LENGTH = 8
export const PAIRING_TTL_MS = 3_600_000
export const MAX_PENDING_PAIRINGS = 3
/** A sender who writes again while waiting is reminded of the code at most this often. */
export const PAIRING_REMIND_MS = 60_000

/** A fresh code; `random` fills bytes (crypto.getRandomValues unless a test passes its own). */
export function pairingCode(
	random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
	// 32 symbols: the low 5 bits of each byte pick one without bias.
	const bytes = random(new Uint8Array(PAIRING_CODE_LENGTH))
	let code = ''
	for (const b of bytes) code += PAIRING_ALPHABET[b & 31]
	return code
}

export const PAIRING_CODE = new RegExp(`^[${PAIRING_ALPHABET}]{${PAIRING_CODE_LENGTH}}$`)

/** What to tell the sender: their code (new or a reminder), or nothing. */
export type PairingAnswer = { notify: true; code: string } | { notify: false; reason: string }

/**
 * Handles a message from an unknown sender: reuses their pending code (reminding them at most
 * once a minute, never for a platform's retry of the same event), or issues a new one while the
 * channel has fewer than three pending.
 */
export async function requestPairing(
	db: Db,
	channel: { tenantId: string; id: string },
	envelope: Envelope,
	now: number,
	options: {
		newCode?: () => string
		/** How often a waiting sender is reminded; 0 where the reminder is only the webhook's answer. */
		remindEveryMs?: number
	} = {},
): Promise<PairingAnswer> {
	const newCode = options.newCode ?? pairingCode
	const remindEveryMs = options.remindEveryMs ?? PAIRING_REMIND_MS
	await pruneExpiredPairings(db, channel.tenantId, channel.id, now)
	const pending = await pendingPairings(db, channel.tenantId, channel.id, now)
	const mine = pending.find((p) => p.senderId === envelope.sender.id)
	if (mine) return remind(db, mine, envelope, now, remindEveryMs)
	if (pending.length >= MAX_PENDING_PAIRINGS) {
		return { notify: false, reason: `${MAX_PENDING_PAIRINGS} pairing requests already pending` }
	}
	for (let attempt = 0; attempt < 3; attempt++) {
		const code = newCode()
		const stored = await insertPairing(
			db,
			{
				tenantId: channel.tenantId,
				channelId: channel.id,
				code,
				senderId: envelope.sender.id,
				senderName: envelope.sender.name ?? null,
				replyTo: envelope.reply,
				eventKey: envelope.dedupeKey,
				notifiedAt: new Date(now),
				expiresAt: new Date(now + PAIRING_TTL_MS),
			},
			MAX_PENDING_PAIRINGS,
			now,
		)
		if (stored) return { notify: true, code }
		// The sender's request was stored meanwhile (a concurrent retry), the last slot went to
		// another stranger, or the code collided.
		const again = await pendingPairings(db, channel.tenantId, channel.id, now)
		const raced = again.find((p) => p.senderId === envelope.sender.id)
		if (raced) return remind(db, raced, envelope, now, remindEveryMs)
		if (again.length >= MAX_PENDING_PAIRINGS) {
			return { notify: false, reason: `${MAX_PENDING_PAIRINGS} pairing requests already pending` }
		}
	}
	return { notify: false, reason: 'no free pairing code' }
}

async function remind(
	db: Db,
	row: PairingRow,
	envelope: Envelope,
	now: number,
	remindEveryMs: number,
): Promise<PairingAnswer> {
	// A platform's retry of the event that asked sends nothing again — unless the code is only ever
	// shown in the webhook's answer, which the retry gets instead.
	if (row.eventKey === envelope.dedupeKey && remindEveryMs > 0) {
		return { notify: false, reason: 'retry of the same event' }
	}
	if (now - row.notifiedAt.getTime() < remindEveryMs) {
		return { notify: false, reason: 'reminded recently' }
	}
	await markPairingNotified(db, row, now)
	return { notify: true, code: row.code }
}

export const pairingText = (code: string): string =>
	`This assistant only answers people its operator approved. Your pairing code is ${code} (valid for one hour); send it to the operator to be let in.`
