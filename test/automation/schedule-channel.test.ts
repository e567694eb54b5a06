// A schedule whose answer goes to a channel peer: the fired turn carries the channel's reply
// route, and the lane's outbox sends the answer to the peer (here a signed-webhook channel whose
// callback is a fake platform); a channel turned off fails the run instead of sending.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { forgetChannel } from '../../src/db/channels'
import { encodeBase64 } from '../../src/security/bytes'
import * as flow from '../channels/flow-setup'
import { FakePlatforms } from '../fakes/platforms'
import { eventually } from '../helpers'
import { armAndTick, createSchedule, T0 } from './schedule-setup'

const TENANT = 'sched-chan'
const MIN = 60_000
const platforms = FakePlatforms.install()
const whsec = (seed: string) =>
	`whsec_${encodeBase64(new TextEncoder().encode(seed.padEnd(32, '.')))}`

/** The webhook channel's reply target for one peer (what an inbound event of it would carry). */
const peerTarget = (id: string) => ({
	peer: { kind: 'dm', id },
	sender: { id },
	eventId: `schedule-${id}`,
})

beforeAll(async () => {
	await flow.prepareTenant(TENANT, { WH_SIGNING: whsec('schedule-channel-signing') })
	await flow.createChannel(TENANT, {
		id: 'ops-hook',
		kind: 'webhook',
		config: {
			secrets: { signingSecret: 'WH_SIGNING' },
			dmPolicy: 'open',
			callbackUrl: 'https://ops-hook.platform.test/callback',
		},
	})
})

describe('delivery to a channel peer', () => {
	it("sends the answer to the peer through the lane's outbox", async () => {
		await createSchedule(TENANT, {
			id: 'to-peer',
			schedule: { kind: 'every', everyMs: MIN, anchorAt: new Date(T0).toISOString() },
			target: { agentId: 'main', session: 'ops-digest', message: 'daily digest' },
			delivery: { type: 'channel', channelId: 'ops-hook', target: peerTarget('ops-team') },
		})
		const runs = await armAndTick(TENANT, 'to-peer', T0 + 1_000, [T0 + MIN + 500])
		expect(runs.map((r) => [r.status, r.delivery])).toEqual([['ok', 'outbox']])
		const [reply] = await eventually(async () => {
			const calls = platforms.calls.filter((c) => c.url.hostname === 'ops-hook.platform.test')
			return calls.length > 0 ? calls : undefined
		})
		expect(reply?.json).toMatchObject({
			type: 'message',
			text: 'echo: daily digest',
			peer: { kind: 'dm', id: 'ops-team' },
		})
	})

	it('fails the run when the channel is disabled, sending nothing', async () => {
		await createSchedule(TENANT, {
			id: 'to-off',
			schedule: { kind: 'every', everyMs: MIN, anchorAt: new Date(T0).toISOString() },
			target: { agentId: 'main', session: 'isolated', message: 'never sent' },
			delivery: { type: 'channel', channelId: 'ops-hook', target: peerTarget('nobody') },
		})
		await env.DB.prepare('UPDATE channels SET enabled = 0 WHERE tenant_id = ? AND id = ?')
			.bind(TENANT, 'ops-hook')
			.run()
		// The channel row is cached per isolate for up to 10 s; a fresh read sees it off.
		forgetChannel(TENANT, 'ops-hook')
		const before = platforms.calls.length
		const runs = await armAndTick(TENANT, 'to-off', T0 + 1_000, [T0 + MIN + 500])
		expect(runs.map((r) => [r.status, r.laneRunId])).toEqual([['failed', null]])
		expect(runs[0]?.error).toBe('channel ops-hook is disabled')
		expect(platforms.calls.length).toBe(before)
	})
})
