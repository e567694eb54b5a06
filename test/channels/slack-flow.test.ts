// Slack end to end inside workerd: signed Events API and interactivity requests in through
// POST /hooks/…, the agent's answers out through the lane's outbox to a fake Web API — the
// challenge, retries and the message/app_mention pair as one run, signatures, approval buttons.
import { beforeAll, describe, expect, it } from 'vitest'
import {
	slackAppMention,
	slackBlockActions,
	slackChannelMessageOfMention,
	slackInteractionForm,
	slackSignature,
	slackUrlVerification,
} from '../fakes/channel-payloads'
import { FakePlatforms } from '../fakes/platforms'
import { call, eventually, problem } from '../helpers'
import * as flow from './flow-setup'

const TENANT = 'slack-flow'
const SIGNING_SECRET = 'slack-signing-secret-0123456789abcdef'
const CHANNEL = 'C0LAN2Q65'
const platforms = FakePlatforms.install()

async function channel(id: string, extra: Record<string, unknown> = {}): Promise<void> {
	await flow.createChannel(TENANT, {
		id,
		kind: 'slack',
		...extra,
		config: {
			secrets: { botToken: 'SLACK_TOKEN', signingSecret: 'SLACK_SIGNING' },
			apiBase: `https://${id}.platform.test/api`,
			groups: [CHANNEL],
			...(extra.config as Record<string, unknown> | undefined),
		},
	})
}

const nowS = () => Math.floor(Date.now() / 1000)

/** Posts `body` to the channel's hook as Slack does: signed at `timestamp` with `secret`. */
async function post(
	channelId: string,
	body: string,
	{
		timestamp = nowS(),
		secret = SIGNING_SECRET,
		contentType = 'application/json',
		headers = {},
	}: {
		timestamp?: number
		secret?: string
		contentType?: string
		headers?: Record<string, string>
	} = {},
): Promise<Response> {
	return call(`/hooks/${TENANT}/${channelId}`, {
		method: 'POST',
		headers: {
			'content-type': contentType,
			'x-slack-request-timestamp': String(timestamp),
			'x-slack-signature': await slackSignature(secret, String(timestamp), body),
			...headers,
		},
		body,
	})
}

/** The app_mention example, saying `text` at message ts `ts`. */
const mention = (text: string, ts: string, eventId = `Ev${ts.replace('.', '')}`) =>
	JSON.stringify({
		...slackAppMention,
		event_id: eventId,
		event: { ...slackAppMention.event, text: `<@U0LAN0Z89> ${text}`, ts, event_ts: ts },
	})

/** What the fake Web API got from one channel through chat.postMessage, in order. */
const posted = (channelId: string) =>
	platforms
		.sent('/api/chat.postMessage')
		.filter((c) => c.url.hostname === `${channelId}.platform.test`)

const sessionOf = (channelId: string, ts: string, agent = 'main') =>
	flow.laneOf(TENANT, agent, `${channelId}:channel:${CHANNEL}:${ts}`)

/** Every delivery of the lane went out (or failed): nothing more will reach the platform. */
const outboxIdle = (lane: ReturnType<typeof sessionOf>) =>
	eventually(async () => {
		const d = await lane.listDeliveries(undefined, 50)
		return d.ok && d.value.deliveries.every((x) => x.status === 'sent' || x.status === 'failed')
			? true
			: undefined
	})

beforeAll(async () => {
	await flow.prepareTenant(TENANT, {
		SLACK_TOKEN: 'xoxb-test-token',
		SLACK_SIGNING: SIGNING_SECRET,
	})
})

describe('slack end to end', () => {
	it('echoes the url_verification challenge of a signed request, and only of a signed one', async () => {
		await channel('slack-1')
		const body = JSON.stringify(slackUrlVerification)
		const res = await post('slack-1', body)
		expect(res.status).toBe(200)
		expect(await res.json()).toEqual({ challenge: slackUrlVerification.challenge })
		const unsigned = await call(`/hooks/${TENANT}/slack-1`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body,
		})
		expect(unsigned.status).toBe(401)
	})

	it('acks an app_mention before the answer goes out, then posts the answer in its thread', async () => {
		await channel('slack-2')
		const ts = '1700000002.000100'
		// The reply is held at the platform: the ack cannot have waited for it.
		const release = platforms.hold('slack-2.platform.test/api/chat.postMessage')
		const res = await post('slack-2', mention('hello slack', ts))
		expect(res.status).toBe(200)
		expect(await res.text()).toBe('')
		await eventually(async () => {
			const d = await sessionOf('slack-2', ts).listDeliveries(undefined, 10)
			return d.ok && d.value.deliveries.some((x) => x.status === 'sending') ? true : undefined
		})
		release()
		const [reply] = await eventually(async () => {
			const p = posted('slack-2')
			return p.length > 0 ? p : undefined
		})
		expect(reply?.json).toEqual({ channel: CHANNEL, thread_ts: ts, text: 'echo: hello slack' })
		expect(reply?.headers.get('authorization')).toBe('Bearer xoxb-test-token')
	})

	it('takes a retry after a slow ack (x-slack-retry-num) as the same run: one run, one reply', async () => {
		await channel('slack-3')
		const ts = '1700000003.000100'
		const body = mention('just once', ts)
		expect((await post('slack-3', body)).status).toBe(200)
		const retry = await post('slack-3', body, {
			headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
		})
		expect(retry.status).toBe(200)
		const lane = sessionOf('slack-3', ts)
		await flow.finishedRuns(lane)
		await outboxIdle(lane)
		const info = await lane.info()
		expect(info.ok && info.value.runs.total).toBe(1)
		expect(posted('slack-3').map((c) => c.json?.text)).toEqual(['echo: just once'])
		// A second retry after the answer went out changes nothing either.
		const late = await post('slack-3', body, {
			headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' },
		})
		expect(late.status).toBe(200)
		const after = await lane.info()
		expect(after.ok && after.value.runs.total).toBe(1)
		expect(posted('slack-3')).toHaveLength(1)
	})

	it('takes the message and app_mention events of one mention as one run', async () => {
		await channel('slack-4')
		const ts = String(slackAppMention.event.ts)
		const answers = await Promise.all([
			post('slack-4', JSON.stringify(slackChannelMessageOfMention)),
			post('slack-4', JSON.stringify(slackAppMention)),
		])
		for (const a of answers) expect(a.status).toBe(200)
		const lane = sessionOf('slack-4', ts)
		const runs = await flow.finishedRuns(lane)
		await outboxIdle(lane)
		expect(runs).toHaveLength(1)
		expect(posted('slack-4').map((c) => c.json?.text)).toEqual([
			'echo: What is the hour of the pearl,?',
		])
	})

	it('refuses a stale timestamp and a bad signature with 401, and nothing runs', async () => {
		await channel('slack-5')
		const ts = '1700000005.000100'
		const body = mention('forged', ts)
		const stale = await post('slack-5', body, { timestamp: nowS() - 301 })
		const future = await post('slack-5', body, { timestamp: nowS() + 301 })
		const wrongKey = await post('slack-5', body, { secret: 'another-signing-secret' })
		const stamp = String(nowS())
		const otherBody = await call(`/hooks/${TENANT}/slack-5`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'x-slack-request-timestamp': stamp,
				'x-slack-signature': await slackSignature(SIGNING_SECRET, stamp, mention('other', ts)),
			},
			body,
		})
		for (const res of [stale, future, wrongKey, otherBody]) {
			expect(res.status).toBe(401)
			expect(await problem(res)).toMatchObject({ code: 'unauthorized' })
		}
		expect((await sessionOf('slack-5', ts).info()).ok).toBe(false)
		expect(posted('slack-5')).toEqual([])
	})

	it('asks for approval with Block Kit buttons; only an allowed sender decides, then the answer comes', async () => {
		await channel('slack-6', { agent: 'guarded', config: { allowFrom: ['UBOSS0001'] } })
		const ts = '1700000006.000100'
		expect((await post('slack-6', mention('/tool time_now {}', ts))).status).toBe(200)
		const lane = sessionOf('slack-6', ts, 'guarded')
		const approval = await flow.pendingApproval(lane)
		expect(approval.tool).toBe('time_now')
		const [prompt] = await eventually(async () => {
			const p = posted('slack-6')
			return p.length > 0 ? p : undefined
		})
		expect(prompt?.json).toMatchObject({ channel: CHANNEL, thread_ts: ts })
		const blocks = prompt?.json?.blocks as { type: string; elements?: { action_id: string }[] }[]
		expect(blocks.map((b) => b.type)).toEqual(['section', 'actions'])
		expect(blocks[1]?.elements?.map((e) => e.action_id)).toEqual([
			`ap:${approval.id}:once`,
			`ap:${approval.id}:always`,
			`ap:${approval.id}:deny`,
		])

		/** A press of `Allow once` on the prompt (posted in the mention's thread) by `userId`. */
		const press = (userId: string, trigger: string) =>
			post(
				'slack-6',
				slackInteractionForm(
					slackBlockActions(`ap:${approval.id}:once`, {
						user: { id: userId, username: 'presser', name: 'presser', team_id: 'T061EG9R6' },
						team: { id: 'T061EG9R6', domain: 'example' },
						channel: { id: CHANNEL, name: 'general' },
						container: { type: 'message', message_ts: '1.0', channel_id: CHANNEL },
						trigger_id: trigger,
						message: { type: 'message', text: 'Approval needed', ts: '1.0', thread_ts: ts },
					}),
				),
				{ contentType: 'application/x-www-form-urlencoded' },
			)

		const outsider = await press('UOUTSIDER', '111.222.outsider')
		expect(outsider.status).toBe(200)
		await eventually(async () =>
			(await flow.auditActions(TENANT, 'channel:slack-6')).includes('channel.approval_refused')
				? true
				: undefined,
		)
		expect((await flow.approvalsOf(lane)).map((a) => a.status)).toEqual(['pending'])

		expect((await press('UBOSS0001', '111.222.boss')).status).toBe(200)
		expect((await flow.approvalsOf(lane))[0]).toMatchObject({
			id: approval.id,
			status: 'allowed',
			decidedBy: 'channel:slack-6:UBOSS0001',
		})
		const [run] = await flow.finishedRuns(lane)
		expect(run?.status).toBe('succeeded')
		expect(run?.output).toMatch(/^time_now returned /)
		await outboxIdle(lane)
		const texts = posted('slack-6').map((c) => c.json)
		expect(texts).toHaveLength(2)
		expect(texts[1]).toMatchObject({ channel: CHANNEL, thread_ts: ts })
		expect(String(texts[1]?.text)).toMatch(/^time_now returned /)
	})
})
