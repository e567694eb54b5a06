// Pairing's rows in D1: the cap of three pending requests holds when strangers write at once, an
// approval admits exactly the code's sender (never from an expired code), an admission is seen at
// once; and the webhook answer that a deadline cuts short.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_PENDING_PAIRINGS, requestPairing } from '../../src/channels/pairing'
import type { Envelope, InboundOutcome } from '../../src/channels/plugin'
import { approvePairing, isPaired, pendingPairings } from '../../src/db/channels'
import { database } from '../../src/db/client'
import { answerBy } from '../../src/gateway/hooks/deadline'
import { tenant } from '../security/helpers'

const TENANT = 'pairing-db'
const db = database(env.DB)

async function channelRow(id: string): Promise<void> {
	await env.DB.prepare(
		`INSERT INTO channels (tenant_id, id, kind, agent_id, config) VALUES (?, ?, 'webhook', 'main', '{}')`,
	)
		.bind(TENANT, id)
		.run()
}

const stranger = (id: string, n = 1): Envelope => ({
	eventId: `${id}-${n}`,
	dedupeKey: `msg:${id}-${n}`,
	peer: { kind: 'dm', id },
	sender: { id, name: id },
	text: 'hello',
	attachments: [],
	mentioned: true,
	reply: { to: id },
})

beforeAll(async () => {
	await tenant(TENANT)
})

describe('pairing in D1', () => {
	it('keeps at most three requests pending when strangers write at the same moment', async () => {
		await channelRow('cap')
		const now = Date.now()
		const answers = await Promise.all(
			Array.from({ length: 8 }, (_, i) =>
				requestPairing(db, { tenantId: TENANT, id: 'cap' }, stranger(`s${i}`), now),
			),
		)
		expect(answers.filter((a) => a.notify)).toHaveLength(MAX_PENDING_PAIRINGS)
		expect(await pendingPairings(db, TENANT, 'cap', now)).toHaveLength(MAX_PENDING_PAIRINGS)
	})

	it('admits the code’s sender once, and never from an expired code', async () => {
		await channelRow('approve')
		const now = Date.now()
		const answer = await requestPairing(
			db,
			{ tenantId: TENANT, id: 'approve' },
			stranger('ada'),
			now,
		)
		if (!answer.notify) throw new Error('no code')
		expect(await isPaired(db, TENANT, 'approve', 'ada')).toBe(false)
		// An hour and a bit later the code no longer works, and nobody is admitted by trying.
		const later = now + 3_700_000
		expect(
			await approvePairing(db, TENANT, 'approve', answer.code, 'key:k1', later),
		).toBeUndefined()
		expect(await isPaired(db, TENANT, 'approve', 'ada')).toBe(false)
		// In time, the sender is admitted — and seen as admitted at once (a "no" is not cached).
		expect(await approvePairing(db, TENANT, 'approve', answer.code, 'key:k1', now)).toMatchObject({
			senderId: 'ada',
		})
		expect(await isPaired(db, TENANT, 'approve', 'ada')).toBe(true)
		expect(await approvePairing(db, TENANT, 'approve', answer.code, 'key:k1', now)).toBeUndefined()
		const rows = await env.DB.prepare(
			`SELECT sender_id, added_by FROM channel_allow WHERE tenant_id = ? AND channel_id = 'approve'`,
		)
			.bind(TENANT)
			.all()
		expect(rows.results).toEqual([{ sender_id: 'ada', added_by: 'key:k1' }])
	})

	it('reminds a waiting sender at most once a minute, and never for a retry of the same event', async () => {
		await channelRow('remind')
		const now = Date.now()
		const ch = { tenantId: TENANT, id: 'remind' }
		const first = await requestPairing(db, ch, stranger('bob', 1), now)
		expect(first.notify).toBe(true)
		expect(await requestPairing(db, ch, stranger('bob', 1), now + 120_000)).toEqual({
			notify: false,
			reason: 'retry of the same event',
		})
		expect((await requestPairing(db, ch, stranger('bob', 2), now + 10_000)).notify).toBe(false)
		const again = await requestPairing(db, ch, stranger('bob', 3), now + 61_000)
		expect(again).toEqual(first)
		// Where the code lives only in the webhook's answer, every ask (a retry too) shows it.
		const shown = { remindEveryMs: 0 }
		expect(await requestPairing(db, ch, stranger('bob', 1), now + 62_000, shown)).toEqual(first)
		expect(await requestPairing(db, ch, stranger('bob', 4), now + 62_001, shown)).toEqual(first)
	})
})

describe('answering by a deadline', () => {
	const taken: InboundOutcome = { kind: 'accepted', runId: 'r1', duplicate: false }

	it('answers with the outcome when the taking is done in time, and waits without a deadline', async () => {
		let late = false
		expect(await answerBy(60_000, Promise.resolve(taken), () => (late = true))).toEqual(taken)
		expect(await answerBy(undefined, Promise.resolve(taken), () => (late = true))).toEqual(taken)
		expect(late).toBe(false)
	})

	it('answers accepted at the deadline and hands the unfinished taking on', async () => {
		let handed: Promise<InboundOutcome> | undefined
		const never = new Promise<InboundOutcome>(() => {})
		expect(await answerBy(5, never, (t) => (handed = t))).toEqual({
			kind: 'accepted',
			runId: null,
			duplicate: false,
		})
		expect(handed).toBe(never)
	})

	it('passes a failure that comes in time on as the answer', async () => {
		await expect(
			answerBy(60_000, Promise.reject(new Error('lane down')), () => {}),
		).rejects.toThrow('lane down')
	})
})
