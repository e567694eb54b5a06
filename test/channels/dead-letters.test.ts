// Dead letters in D1: recording one prunes the channel's week-old ones; the channels' sink records
// them, lets one go for a channel that is gone, and rejects when D1 fails (so the lane tries again).
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { channelReplies } from '../../src/channels/replies'
import {
	DEAD_LETTER_RETENTION_MS,
	deleteChannel,
	insertChannel,
	listDeadLetters,
	recordDeadLetter,
} from '../../src/db/channels'
import { database } from '../../src/db/client'
import type { OutboundDelivery } from '../../src/lanes/host'
import { silentLogger } from '../fakes/logs'
import { tenant } from '../security/helpers'

const TENANT = 'chan-dead'
const db = database(env.DB)
const DAY = 24 * 3600_000

const letter = (channelId: string, deliveryId: string, failedAt: number) => ({
	tenantId: TENANT,
	channelId,
	deliveryId,
	agentId: 'main',
	sessionKey: 'k',
	runId: null,
	kind: 'text',
	part: 1,
	parts: 1,
	attempts: 1,
	error: 'HTTP 403',
	failedAt: new Date(failedAt),
})

const delivery = (channelId: string, id: string): OutboundDelivery => ({
	id,
	session: { tenantId: TENANT, agentId: 'main', sessionKey: 'k' },
	runId: null,
	route: { channelId, kind: 'webhook', target: {} },
	kind: 'text',
	text: 'hi',
	part: 1,
	parts: 1,
	attempt: 3,
})

async function channel(id: string): Promise<void> {
	const config = { secrets: { signingSecret: 'NONE' } }
	await insertChannel(db, {
		tenantId: TENANT,
		id,
		kind: 'webhook',
		agentId: 'main',
		config,
		enabled: true,
	})
}

const ids = async (channelId: string) =>
	(await listDeadLetters(db, TENANT, channelId, 100)).map((d) => d.deliveryId).sort()

beforeAll(async () => {
	await tenant(TENANT)
	await channel('dl-a')
	await channel('dl-b')
})

describe('recordDeadLetter', () => {
	it('prunes the channel’s dead letters older than 7 days, and no other channel’s', async () => {
		const now = Date.now()
		await recordDeadLetter(db, letter('dl-a', 'a-old', now - 8 * DAY))
		await recordDeadLetter(db, letter('dl-a', 'a-week', now - DEAD_LETTER_RETENTION_MS + DAY))
		await recordDeadLetter(db, letter('dl-b', 'b-old', now - 8 * DAY))
		expect(await ids('dl-a')).toEqual(['a-old', 'a-week'])
		await recordDeadLetter(db, letter('dl-a', 'a-new', now))
		// Recording the same delivery again changes nothing.
		await recordDeadLetter(db, letter('dl-a', 'a-new', now + 1_000))
		expect(await ids('dl-a')).toEqual(['a-new', 'a-week'])
		expect(await ids('dl-b')).toEqual(['b-old'])
	})
})

describe('the channels’ sink records dead letters', () => {
	it('records one, lets one go for a deleted channel, and rejects when D1 fails', async () => {
		const sink = channelReplies(env, TENANT, silentLogger())
		await sink.failed(delivery('dl-b', 'b-sink'), 'chat not found')
		// Recorded now: the 8-day-old one of that channel goes.
		expect(await ids('dl-b')).toEqual(['b-sink'])
		await channel('dl-gone')
		await deleteChannel(db, TENANT, 'dl-gone')
		await expect(sink.failed(delivery('dl-gone', 'g-1'), 'gone')).resolves.toBeUndefined()
		const down = {
			prepare() {
				throw new Error('D1 unavailable')
			},
			batch() {
				throw new Error('D1 unavailable')
			},
		} as unknown as D1Database
		const broken = channelReplies({ ...env, DB: down }, TENANT, silentLogger())
		await expect(broken.failed(delivery('dl-b', 'b-down'), 'x')).rejects.toThrow()
		expect(await ids('dl-b')).toEqual(['b-sink'])
	})
})
