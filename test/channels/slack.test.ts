// The Slack plugin called directly: request signatures (Slack's worked example and signatures
// computed here), every Events API and interactivity body it reads, and chat.postMessage's answers.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Envelope, type Inbound, InboundInvalid } from '../../src/channels/plugin'
import { routeOf } from '../../src/channels/routing'
import { slack } from '../../src/channels/slack'
import { pluginContext, rawInbound } from '../fakes/channel-context'
import {
	SLACK_BOT_USER_ID,
	slackAppMention,
	slackBlockActions,
	slackBotMessage,
	slackChannelMessageOfMention,
	slackFileShare,
	slackImMessage,
	slackInteractionForm,
	slackMessageChanged,
	slackMpimMessage,
	slackOwnMessage,
	slackReactionAdded,
	slackSignature,
	slackSigningExample,
	slackThreadReply,
	slackUrlVerification,
} from '../fakes/channel-payloads'
import { type Reply, scriptedFetch } from '../fakes/provider-wire'

const BOT_TOKEN = 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'
const SIGNING_SECRET = 'signing-secret-0123456789abcdef'
const APPROVAL_ID = '0b7d3c1e-5f2a-4c8b-8e11-2a9f6d4c7b30'
const CONFIG = { secrets: { botToken: 'SLACK_BOT_TOKEN', signingSecret: 'SLACK_SIGNING_SECRET' } }
const SECRETS = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET }
const NOW_S = 1_768_478_400
const FORM = 'application/x-www-form-urlencoded'

const context = (
	options: {
		config?: object
		fetch?: typeof fetch
		now?: number
		secrets?: Record<string, string>
	} = {},
) =>
	pluginContext(slack, options.config ?? CONFIG, {
		secrets: options.secrets ?? SECRETS,
		now: options.now ?? NOW_S * 1000,
		...(options.fetch && { fetch: options.fetch }),
	})

function parse(body: unknown, contentType = 'application/json', config: object = CONFIG): Inbound {
	const text = typeof body === 'string' ? body : JSON.stringify(body)
	return slack.parse(context({ config }), rawInbound(text, { 'content-type': contentType }))
}

function envelopeOf(body: unknown, config: object = CONFIG): Envelope {
	const inbound = parse(body, 'application/json', config)
	if (inbound.type !== 'message')
		throw new Error(`expected a message, got ${JSON.stringify(inbound)}`)
	return inbound.envelope
}

const slackOk = (extra: object = {}): Reply => ({
	status: 200,
	headers: {},
	body: { ok: true, channel: 'C0LAN2Q65', ts: '1503435956.000247', ...extra },
})
const slackError = (error: string, headers: Record<string, string> = {}): Reply => ({
	status: 200,
	headers,
	body: { ok: false, error },
})

describe('slack config', () => {
	it('defaults the API base, is strict, and checks the bot user id', () => {
		const config = slack.config.parse(CONFIG)
		expect(config.apiBase).toBe('https://slack.com/api')
		expect(slack.urls(config)).toEqual(['https://slack.com/api'])
		expect(slack.config.safeParse({ ...CONFIG, signingSecret: 'x' }).success).toBe(false)
		expect(slack.config.safeParse({ ...CONFIG, botUserId: 'U 1' }).success).toBe(false)
		expect(slack.config.safeParse({ ...CONFIG, botUserId: SLACK_BOT_USER_ID }).success).toBe(true)
	})
})

describe('slack verify', () => {
	const body = JSON.stringify(slackAppMention)
	const signed = async (
		over: { timestamp?: string; secret?: string; body?: string } = {},
	): Promise<Record<string, string>> => {
		const timestamp = over.timestamp ?? String(NOW_S)
		return {
			'x-slack-request-timestamp': timestamp,
			'x-slack-signature': await slackSignature(
				over.secret ?? SIGNING_SECRET,
				timestamp,
				over.body ?? body,
			),
			'content-type': 'application/json',
		}
	}
	const verify = (headers: Record<string, string>, raw: string | Uint8Array = body, now?: number) =>
		slack.verify(context({ ...(now !== undefined && { now }) }), rawInbound(raw, headers))

	it("accepts Slack's own worked example", async () => {
		const example = slackSigningExample
		const ctx = context({
			now: Number(example.timestamp) * 1000,
			secrets: { ...SECRETS, SLACK_SIGNING_SECRET: example.signingSecret },
		})
		const headers = {
			'X-Slack-Request-Timestamp': example.timestamp,
			'X-Slack-Signature': example.signature,
		}
		expect(await slack.verify(ctx, rawInbound(example.body, headers))).toBe(true)
		// The same request with one byte of the body changed.
		const tampered = example.body.replace('roadrunner', 'roadrunnex')
		expect(await slack.verify(ctx, rawInbound(tampered, headers))).toBe(false)
	})

	it('accepts a signature computed over the exact bytes, within 300 s either way', async () => {
		expect(await verify(await signed())).toBe(true)
		expect(await verify(await signed({ timestamp: String(NOW_S - 300) }))).toBe(true)
		expect(await verify(await signed({ timestamp: String(NOW_S + 300) }))).toBe(true)
		const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0xff])
		const headers = {
			'x-slack-request-timestamp': String(NOW_S),
			'x-slack-signature': await slackSignature(SIGNING_SECRET, String(NOW_S), bytes),
		}
		expect(await verify(headers, bytes)).toBe(true)
	})

	it('refuses a stale or future timestamp', async () => {
		expect(await verify(await signed({ timestamp: String(NOW_S - 301) }))).toBe(false)
		expect(await verify(await signed({ timestamp: String(NOW_S + 301) }))).toBe(false)
		expect(await verify(await signed({ timestamp: '0' }))).toBe(false)
	})

	it('refuses a wrong secret, a tampered body or timestamp, missing or malformed headers', async () => {
		const good = await signed()
		expect(await verify(await signed({ secret: 'another-secret' }))).toBe(false)
		expect(await verify(good, body.replace('pearl', 'pearL'))).toBe(false)
		expect(await verify(good, `${body} `)).toBe(false)
		expect(await verify({ ...good, 'x-slack-request-timestamp': String(NOW_S + 1) })).toBe(false)
		const { 'x-slack-signature': signature, ...unsigned } = good
		expect(await verify(unsigned)).toBe(false)
		const { 'x-slack-request-timestamp': _, ...untimed } = good
		expect(await verify(untimed)).toBe(false)
		const hex = (signature as string).slice(3)
		expect(await verify({ ...good, 'x-slack-signature': hex })).toBe(false)
		expect(await verify({ ...good, 'x-slack-signature': `v1=${hex}` })).toBe(false)
		expect(await verify({ ...good, 'x-slack-signature': `v0=${hex.slice(2)}` })).toBe(false)
		expect(await verify({ ...good, 'x-slack-request-timestamp': `${NOW_S}.5` })).toBe(false)
	})

	it('never throws, whatever the headers and body', async () => {
		const ctx = context()
		const header = fc.oneof(
			fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
			fc.stringMatching(/^v0=[0-9a-fA-F]{0,70}$/),
			fc.integer({ min: NOW_S - 400, max: NOW_S + 400 }).map(String),
		)
		await fc.assert(
			fc.asyncProperty(
				fc.dictionary(
					fc.constantFrom('x-slack-signature', 'x-slack-request-timestamp', 'content-type'),
					header,
				),
				fc.uint8Array({ maxLength: 200 }),
				async (headers, body) => {
					expect(await slack.verify(ctx, rawInbound(body, headers))).toBe(false)
				},
			),
			{ numRuns: 200 },
		)
	})
})

describe('slack parse: events', () => {
	it("answers url_verification with Slack's challenge", async () => {
		const inbound = parse(slackUrlVerification)
		expect(inbound.type).toBe('respond')
		const response = slack.respond(context(), inbound, { kind: 'dropped', reason: 'handshake' })
		expect(response.status).toBe(200)
		expect(await response.json()).toEqual({ challenge: slackUrlVerification.challenge })
	})

	it('reads an app_mention: channel peer, the thread it starts, the mention out of the text', () => {
		expect(envelopeOf(slackAppMention)).toEqual({
			eventId: 'Ev0LAN670R',
			dedupeKey: 'msg:C0LAN2Q65:1515449522.000016',
			peer: { kind: 'channel', id: 'C0LAN2Q65' },
			thread: '1515449522.000016',
			sender: { id: 'U061F7AUR' },
			text: 'What is the hour of the pearl,?',
			attachments: [],
			mentioned: true,
			space: 'T061EG9R6',
			reply: { channel: 'C0LAN2Q65', threadTs: '1515449522.000016', peerKind: 'channel' },
		})
	})

	it('gives the message and the app_mention of one mention the same dedupe key', () => {
		const mention = envelopeOf(slackAppMention)
		const message = envelopeOf(slackChannelMessageOfMention)
		expect(message.eventId).not.toBe(mention.eventId)
		expect(message.dedupeKey).toBe(mention.dedupeKey)
		expect(message).toEqual({ ...mention, eventId: message.eventId })
		expect(envelopeOf(slackImMessage).dedupeKey).toBe('msg:D024BE91L:1355517523.000005')
	})

	it('reads a DM: dm peer, no thread, answered in place, Slack escapes undone', () => {
		const envelope = envelopeOf(slackImMessage)
		expect(envelope).toMatchObject({
			peer: { kind: 'dm', id: 'D024BE91L' },
			sender: { id: 'U2147483697' },
			text: 'Hello hello can you hear me? a < b && c',
			mentioned: true,
			reply: { channel: 'D024BE91L' },
		})
		expect(envelope.thread).toBeUndefined()
	})

	it('reads a thread reply in its thread, unmentioned', () => {
		expect(envelopeOf(slackThreadReply)).toMatchObject({
			peer: { kind: 'channel', id: 'C0LAN2Q65' },
			thread: '1355517523.000005',
			mentioned: false,
			reply: { channel: 'C0LAN2Q65', threadTs: '1355517523.000005' },
		})
	})

	it('maps channel types: mpim is a group, a private channel a channel', () => {
		expect(envelopeOf(slackMpimMessage).peer).toEqual({ kind: 'group', id: 'G024BE91L' })
		const privateChannel = structuredClone(slackThreadReply)
		privateChannel.event.channel_type = 'group'
		expect(envelopeOf(privateChannel).peer.kind).toBe('channel')
		const dmMention = structuredClone(slackAppMention)
		dmMention.event.channel = 'D024BE91L'
		expect(envelopeOf(dmMention)).toMatchObject({
			peer: { kind: 'dm' },
			reply: { channel: 'D024BE91L' },
		})
		expect(envelopeOf(dmMention).thread).toBeUndefined()
	})

	it('reads shared files as attachments', () => {
		expect(envelopeOf(slackFileShare)).toMatchObject({
			text: 'see attached',
			attachments: [
				{
					kind: 'image',
					id: 'F0S43PZDF',
					name: 'diagram.png',
					mime: 'image/png',
					bytes: 43518,
					url: 'https://files.slack.com/files-pri/T061EG9R6-F0S43PZDF/diagram.png',
				},
				{ kind: 'file', id: 'F0S43Q0AA', name: 'notes.txt', mime: 'text/plain', bytes: 120 },
			],
		})
	})

	it("ignores bots, edits, the bot's own messages and events it does not read", () => {
		const reasons = [slackBotMessage, slackMessageChanged, slackOwnMessage, slackReactionAdded].map(
			(body) => {
				const inbound = parse(body)
				return inbound.type === 'ignore' ? inbound.reason : inbound.type
			},
		)
		expect(reasons).toEqual([
			'a message of subtype bot_message',
			'a message of subtype message_changed',
			"the bot's own message",
			'a reaction_added event',
		])
		const botWithoutSubtype = structuredClone(slackImMessage) as { event: Record<string, unknown> }
		botWithoutSubtype.event.bot_id = 'B01'
		expect(parse(botWithoutSubtype)).toEqual({ type: 'ignore', reason: 'a message from a bot' })
	})

	it('takes the bot user id from the config when the event names no authorization', () => {
		const { authorizations: _, ...bare } = structuredClone(slackChannelMessageOfMention)
		expect(envelopeOf(bare)).toMatchObject({
			mentioned: false,
			text: 'What is the hour of the pearl, <@U0LAN0Z89>?',
		})
		const configured = { ...CONFIG, botUserId: SLACK_BOT_USER_ID }
		expect(envelopeOf(bare, configured)).toMatchObject({
			mentioned: true,
			text: 'What is the hour of the pearl,?',
		})
		const own = { ...structuredClone(slackOwnMessage), authorizations: [] }
		expect(parse(own, 'application/json', configured).type).toBe('ignore')
	})
	it("counts a mention of exactly the bot, never of a longer id that starts with the bot's", () => {
		const configured = { ...CONFIG, botUserId: SLACK_BOT_USER_ID }
		const saying = (text: string) => {
			const { authorizations: _, ...body } = structuredClone(slackChannelMessageOfMention)
			body.event.text = text
			return envelopeOf(body, configured)
		}
		const other = `<@${SLACK_BOT_USER_ID}2>`
		expect(saying(`ask ${other} now`)).toMatchObject({ mentioned: false, text: `ask ${other} now` })
		expect(saying(`ask <@${SLACK_BOT_USER_ID}> now`)).toMatchObject({
			mentioned: true,
			text: 'ask now',
		})
		expect(saying(`ask <@${SLACK_BOT_USER_ID}|pearl> now`)).toMatchObject({
			mentioned: true,
			text: 'ask now',
		})
	})
})

describe('slack parse: approval buttons', () => {
	const press = (payload: unknown) => parse(slackInteractionForm(payload), FORM)

	it('reads an approval button press as an action in the thread of the approval', () => {
		expect(press(slackBlockActions(`ap:${APPROVAL_ID}:once`))).toEqual({
			type: 'action',
			action: {
				eventId: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
				dedupeKey: 'action:12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
				peer: { kind: 'channel', id: 'CBR2V3XEX' },
				thread: '1548261200.000100',
				sender: { id: 'UA8RXUSPL', name: 'jtorrance' },
				space: 'T9TK3CUKW',
				approvalId: APPROVAL_ID,
				choice: 'once',
				reply: { channel: 'CBR2V3XEX', threadTs: '1548261200.000100' },
			},
		})
	})

	it('reads the choice from the value, keys on action_ts without a trigger, and DMs without a thread', () => {
		const payload = slackBlockActions('approve-button', {
			trigger_id: undefined,
			channel: { id: 'D024BE91L' },
			message: { type: 'message', ts: '1548261231.000200' },
		}) as { actions: { value: string }[] }
		;(payload.actions[0] as { value: string }).value = `ap:${APPROVAL_ID}:deny`
		const inbound = press(payload)
		expect(inbound.type === 'action' && inbound.action).toMatchObject({
			dedupeKey: 'action:1548426417.840180',
			peer: { kind: 'dm', id: 'D024BE91L' },
			choice: 'deny',
			reply: { channel: 'D024BE91L' },
		})
		expect(inbound.type === 'action' && inbound.action.thread).toBeUndefined()
	})

	it("routes a press in a group DM to the group DM's session: the prompt carries the kind", async () => {
		const message = envelopeOf(slackMpimMessage)
		expect(message.peer).toEqual({ kind: 'group', id: 'G024BE91L' })
		const wire = scriptedFetch(() => slackOk())
		await slack.send(context({ fetch: wire.fetch }), {
			kind: 'approval',
			approval: { id: APPROVAL_ID, tool: 'run_js', summary: 'Run 3 lines' },
			target: message.reply,
		})
		const sent = wire.exchanges[0]?.body as {
			thread_ts: string
			blocks: { block_id?: string; elements?: { action_id: string }[] }[]
		}
		const actionId = sent.blocks[1]?.elements?.[0]?.action_id ?? ''
		const inbound = press(
			slackBlockActions(actionId, {
				// Interaction payloads name a private conversation "privategroup", group DMs included.
				channel: { id: message.peer.id, name: 'privategroup' },
				container: {
					type: 'message',
					message_ts: '1355517701.000001',
					channel_id: message.peer.id,
				},
				message: { type: 'message', ts: '1355517701.000001', thread_ts: sent.thread_ts },
				actions: [
					{
						action_id: actionId,
						block_id: sent.blocks[1]?.block_id,
						value: actionId,
						type: 'button',
						action_ts: '1355517702.000001',
					},
				],
			}),
		)
		if (inbound.type !== 'action') throw new Error(`expected an action, got ${inbound.type}`)
		expect(inbound.action.peer).toEqual(message.peer)
		const channel = { tenantId: 'default', id: 'slack-test', agentId: 'main' }
		const config = { dmScope: 'per-peer' as const, bindings: [] }
		expect(routeOf(channel, config, inbound.action)).toEqual(routeOf(channel, config, message))
	})

	it('without the kind on the prompt, reads a D… id as a DM, an mpdm- name as a group DM, else a channel', () => {
		const kindOf = (channel: { id: string; name: string }, blockId = '=qXel') => {
			const payload = slackBlockActions(`ap:${APPROVAL_ID}:once`, { channel }) as {
				actions: { block_id: string }[]
			}
			;(payload.actions[0] as { block_id: string }).block_id = blockId
			const inbound = press(payload)
			return inbound.type === 'action' ? inbound.action.peer.kind : inbound.type
		}
		expect(kindOf({ id: 'D024BE91L', name: 'directmessage' })).toBe('dm')
		expect(kindOf({ id: 'G024BE91L', name: 'mpdm-alice--bob--pearl-1' })).toBe('group')
		expect(kindOf({ id: 'G0PRIVATE', name: 'privategroup' })).toBe('channel')
		expect(kindOf({ id: 'CBR2V3XEX', name: 'review-updates' })).toBe('channel')
		expect(kindOf({ id: 'CBR2V3XEX', name: 'review-updates' }, 'ap-peer:nonsense')).toBe('channel')
		expect(kindOf({ id: 'G0PRIVATE', name: 'privategroup' }, 'ap-peer:group')).toBe('group')
	})

	it('ignores other buttons, other interactions and slash commands', () => {
		expect(press(slackBlockActions('click_me_123')).type).toBe('ignore')
		expect(press({ type: 'view_submission', user: { id: 'U1' } }).type).toBe('ignore')
		expect(parse(slackSigningExample.body, FORM).type).toBe('ignore')
	})
})

describe('slack parse: bad bodies', () => {
	it('throws InboundInvalid for bodies that are none of Slack’s', () => {
		const json = [
			'not json',
			'[]',
			'null',
			'{}',
			'{"type":1}',
			'{"type":"url_verification"}',
			JSON.stringify({ type: 'event_callback', event: { type: 'message' } }),
			JSON.stringify({ type: 'event_callback', event_id: 'Ev1' }),
			JSON.stringify({
				type: 'event_callback',
				event_id: 'Ev1',
				event: { type: 'message', ts: '1' },
			}),
		]
		for (const body of json) expect(() => parse(body), body).toThrow(InboundInvalid)
		const forms = [
			'payload=not-json',
			'payload=%7B%7D',
			slackInteractionForm({ type: 'block_actions' }),
		]
		for (const body of forms) expect(() => parse(body, FORM), body).toThrow(InboundInvalid)
		const noKey = slackBlockActions(`ap:${APPROVAL_ID}:once`, { trigger_id: undefined }) as {
			actions: { action_ts?: string }[]
		}
		delete (noKey.actions[0] as { action_ts?: string }).action_ts
		expect(() => parse(slackInteractionForm(noKey), FORM)).toThrow(InboundInvalid)
		expect(() =>
			slack.parse(context(), rawInbound(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]))),
		).toThrow(InboundInvalid)
	})

	it('throws nothing but InboundInvalid for arbitrary JSON, forms, bytes or near-events', () => {
		const ctx = context()
		const nearEvent = fc.record({
			type: fc.constantFrom('event_callback', 'url_verification', 'app_rate_limited'),
			event_id: fc.oneof(fc.string(), fc.integer()),
			challenge: fc.oneof(fc.string(), fc.integer()),
			team_id: fc.string(),
			event: fc.record(
				{
					type: fc.constantFrom('message', 'app_mention', 'reaction_added'),
					subtype: fc.constantFrom('file_share', 'bot_message', 'thread_broadcast'),
					user: fc.string(),
					text: fc.string(),
					ts: fc.string(),
					thread_ts: fc.string(),
					channel: fc.oneof(fc.string(), fc.constant('D1'), fc.constant({ id: 'C1' })),
					channel_type: fc.constantFrom('im', 'mpim', 'group', 'channel', 'app_home'),
					files: fc.array(fc.record({ id: fc.string(), mimetype: fc.string() }), {
						maxLength: 2,
					}),
				},
				{ requiredKeys: ['type'] },
			),
			authorizations: fc.array(fc.record({ user_id: fc.string(), is_bot: fc.boolean() }), {
				maxLength: 2,
			}),
		})
		const nearPress = fc
			.record({
				type: fc.constantFrom('block_actions', 'view_submission'),
				user: fc.record({ id: fc.string() }),
				channel: fc.record({ id: fc.string() }),
				trigger_id: fc.string(),
				actions: fc.array(fc.record({ action_id: fc.string(), action_ts: fc.string() }), {
					maxLength: 2,
				}),
			})
			.map((p) => ({ body: slackInteractionForm(p), type: FORM }))
		const requests = fc.oneof(
			fc.json().map((j) => ({ body: j, type: 'application/json' })),
			nearEvent.map((e) => ({ body: JSON.stringify(e), type: 'application/json' })),
			nearPress,
			fc.string().map((s) => ({ body: `payload=${encodeURIComponent(s)}`, type: FORM })),
			fc.uint8Array({ maxLength: 200 }).map((b) => ({ body: b, type: 'text/plain' })),
		)
		fc.assert(
			fc.property(requests, ({ body, type }) => {
				try {
					const inbound = slack.parse(ctx, rawInbound(body, { 'content-type': type }))
					expect(['message', 'action', 'ignore', 'respond']).toContain(inbound.type)
				} catch (error) {
					expect(error).toBeInstanceOf(InboundInvalid)
				}
			}),
			{ numRuns: 500 },
		)
	})
})

describe('slack respond and register', () => {
	it('answers every event with 200 and an empty body', async () => {
		const response = slack.respond(context(), parse(slackImMessage), {
			kind: 'accepted',
			runId: 'r1',
			duplicate: true,
		})
		expect(response.status).toBe(200)
		expect(await response.text()).toBe('')
	})

	it('returns the webhook URL with the steps Slack has no API for', async () => {
		const url = 'https://edgeclaw.example/hooks/default/slack'
		const registration = await slack.register(context(), url)
		expect(registration).toMatchObject({ webhookUrl: url, registered: false })
		for (const needed of [
			`Request URL to ${url}`,
			'Interactivity',
			'message.im',
			'message.channels',
			'app_mention',
			'chat:write',
			'im:history',
			'channels:history',
			'app_mentions:read',
		])
			expect(registration.instructions).toContain(needed)
	})
})

describe('slack send', () => {
	const target = { channel: 'C0LAN2Q65', threadTs: '1515449522.000016' }
	const text = (body: string, to: Record<string, unknown> = target) =>
		({ kind: 'text', text: body, part: 1, parts: 1, target: to }) as const

	it('posts text with the bot token into the thread, escaping Slack markup', async () => {
		const wire = scriptedFetch(() => slackOk())
		const result = await slack.send(context({ fetch: wire.fetch }), text('hi <!channel> & <@U1>'))
		expect(result).toEqual({ ok: true, messageId: '1503435956.000247' })
		expect(wire.exchanges[0]?.url).toBe('https://slack.com/api/chat.postMessage')
		expect(wire.exchanges[0]?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`)
		expect(wire.exchanges[0]?.body).toEqual({
			channel: 'C0LAN2Q65',
			thread_ts: '1515449522.000016',
			text: 'hi &lt;!channel&gt; &amp; &lt;@U1&gt;',
		})
		await slack.send(context({ fetch: wire.fetch }), text('dm', { channel: 'D024BE91L' }))
		expect(wire.exchanges[1]?.body).toEqual({ channel: 'D024BE91L', text: 'dm' })
	})

	it('maps ratelimited and 429 to a retry after Retry-After, 5xx and unknown codes to a retry', async () => {
		const replies: Reply[] = [
			slackError('ratelimited', { 'retry-after': '30' }),
			{ status: 429, headers: { 'retry-after': '5' }, body: { ok: false, error: 'ratelimited' } },
			{ status: 503, headers: {}, body: 'unavailable' },
			slackError('internal_error'),
			{ status: 200, headers: {}, body: 'not json' },
		]
		const wire = scriptedFetch((_, n) => replies[n - 1] as Reply)
		const ctx = context({ fetch: wire.fetch })
		const results = []
		for (const _ of replies) results.push(await slack.send(ctx, text('x')))
		expect(results[0]).toMatchObject({ ok: false, retryAfterMs: 30_000 })
		expect(results[1]).toMatchObject({ ok: false, retryAfterMs: 5_000 })
		for (const result of results) {
			expect(result.ok).toBe(false)
			expect(result).not.toHaveProperty('permanent')
			expect(JSON.stringify(result)).not.toContain(BOT_TOKEN)
		}
		expect(results[3]?.ok === false && results[3].error).toContain('internal_error')
	})

	it('maps errors no retry can fix, and 4xx, to permanent', async () => {
		const codes = [
			'channel_not_found',
			'not_in_channel',
			'invalid_auth',
			'account_inactive',
			'token_revoked',
			'msg_too_long',
		]
		const replies: Reply[] = [
			...codes.map((code) => slackError(code)),
			{ status: 404, headers: {}, body: 'no such method' },
		]
		const wire = scriptedFetch((_, n) => replies[n - 1] as Reply)
		const ctx = context({ fetch: wire.fetch })
		for (const [i] of replies.entries()) {
			const result = await slack.send(ctx, text('x'))
			expect(result, String(i)).toMatchObject({ ok: false, permanent: true })
			if (i < codes.length) expect(result.ok === false && result.error).toContain(codes[i])
		}
	})

	it('reports a network failure as retryable and a target without a channel as permanent', async () => {
		const offline = context({
			fetch: async () => {
				throw new TypeError('Network connection lost.')
			},
		})
		const lost = await slack.send(offline, text('x'))
		expect(lost).toMatchObject({ ok: false })
		expect(lost).not.toHaveProperty('permanent')
		const wire = scriptedFetch(() => slackOk())
		const nowhere = await slack.send(context({ fetch: wire.fetch }), text('x', { chatId: 1 }))
		expect(nowhere).toMatchObject({ ok: false, permanent: true })
		expect(wire.exchanges).toHaveLength(0)
	})

	it('sends an approval as Block Kit: the request in plain text, three ap:<id>:<choice> buttons', async () => {
		const wire = scriptedFetch(() => slackOk())
		const result = await slack.send(context({ fetch: wire.fetch }), {
			kind: 'approval',
			approval: { id: APPROVAL_ID, tool: 'run_js', summary: 'Run *12* lines of <JavaScript>' },
			target,
		})
		expect(result.ok).toBe(true)
		const body = wire.exchanges[0]?.body as {
			channel: string
			thread_ts: string
			text: string
			blocks: { type: string; text?: { type: string; text: string }; elements?: unknown[] }[]
		}
		expect(body).toMatchObject({ channel: 'C0LAN2Q65', thread_ts: '1515449522.000016' })
		expect(body.text).toContain('run_js')
		expect(body.text).toContain('&lt;JavaScript&gt;')
		expect(body.blocks[0]).toEqual({
			type: 'section',
			text: { type: 'plain_text', text: 'Approval needed: run_js\nRun *12* lines of <JavaScript>' },
		})
		expect(body.blocks[1]?.type).toBe('actions')
		expect(body.blocks[1]?.elements).toEqual([
			{
				type: 'button',
				action_id: `ap:${APPROVAL_ID}:once`,
				value: `ap:${APPROVAL_ID}:once`,
				text: { type: 'plain_text', text: 'Allow once' },
				style: 'primary',
			},
			{
				type: 'button',
				action_id: `ap:${APPROVAL_ID}:always`,
				value: `ap:${APPROVAL_ID}:always`,
				text: { type: 'plain_text', text: 'Always allow' },
			},
			{
				type: 'button',
				action_id: `ap:${APPROVAL_ID}:deny`,
				value: `ap:${APPROVAL_ID}:deny`,
				text: { type: 'plain_text', text: 'Deny' },
				style: 'danger',
			},
		])
	})

	it('refuses an approval id too long for a button, permanently, without calling Slack', async () => {
		const wire = scriptedFetch(() => slackOk())
		const result = await slack.send(context({ fetch: wire.fetch }), {
			kind: 'approval',
			approval: { id: 'x'.repeat(60), tool: 'run_js', summary: 's' },
			target,
		})
		expect(result).toMatchObject({ ok: false, permanent: true })
		expect(wire.exchanges).toHaveLength(0)
	})

	it('splits a long reply into parts within 4000 characters', () => {
		const long = Array.from({ length: 100 }, (_, i) => `Line ${i}: ${'text '.repeat(20)}`).join(
			'\n\n',
		)
		const parts = slack.chunk(long)
		expect(long.length).toBeGreaterThan(4000)
		expect(parts.length).toBeGreaterThan(1)
		for (const part of parts) expect(part.length).toBeLessThanOrEqual(4000)
		expect(slack.textLimit).toBe(4000)
		expect(slack.typing).toBeUndefined()
	})
})
