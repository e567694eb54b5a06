// Slack's inbound bodies as Inbounds: Events API JSON (url_verification, message and app_mention
// callbacks) and interactivity forms (`payload=<json>`, approval button presses).
import { z } from 'zod'
import { approvalOfButton } from '../approval-buttons'
import { jsonOf, shapeOf, textOf } from '../inbound-body'
import { type Attachment, type Inbound, InboundInvalid, type PeerKind } from '../plugin'

const Body = z.looseObject({ type: z.string() })

const UrlVerification = z.looseObject({ challenge: z.string() })

const EventCallback = z.looseObject({
	event_id: z.string().min(1),
	team_id: z.string().optional(),
	event: z.looseObject({ type: z.string() }),
	/** The installation the event is for; its user is the bot when no botUserId is configured. */
	authorizations: z
		.array(z.looseObject({ user_id: z.string().optional(), is_bot: z.boolean().optional() }))
		.nullish(),
})

const SlackFile = z.looseObject({
	id: z.string(),
	name: z.string().nullish(),
	mimetype: z.string().nullish(),
	size: z.number().nullish(),
	url_private: z.string().nullish(),
})

const MessageEvent = z.looseObject({
	type: z.enum(['message', 'app_mention']),
	subtype: z.string().nullish(),
	bot_id: z.string().nullish(),
	user: z.string().nullish(),
	text: z.string().nullish(),
	ts: z.string().min(1),
	thread_ts: z.string().nullish(),
	channel: z.string().min(1),
	channel_type: z.string().nullish(),
	files: z.array(SlackFile).nullish(),
})

const BlockActions = z.looseObject({
	user: z.looseObject({
		id: z.string().min(1),
		name: z.string().nullish(),
		username: z.string().nullish(),
	}),
	team: z.looseObject({ id: z.string() }).nullish(),
	channel: z.looseObject({ id: z.string().min(1) }).nullish(),
	container: z.looseObject({ channel_id: z.string().nullish() }).nullish(),
	trigger_id: z.string().nullish(),
	message: z.looseObject({ ts: z.string().nullish(), thread_ts: z.string().nullish() }).nullish(),
	actions: z.array(
		z.looseObject({
			action_id: z.string().nullish(),
			value: z.string().nullish(),
			action_ts: z.string().nullish(),
		}),
	),
})

/** Message subtypes that are a person writing; every other subtype is an edit, a join, a bot… */
const PERSON_SUBTYPES = new Set([undefined, null, 'file_share'])

/**
 * The Events API's channel_type. A private channel ('group') is a channel like a public one (Slack
 * sends app_mention without a channel_type, and an app_mention in any channel must route alike).
 */
const PEER_KINDS: Record<string, PeerKind> = {
	im: 'dm',
	mpim: 'group',
	group: 'channel',
	channel: 'channel',
}

const ignore = (reason: string): Inbound => ({ type: 'ignore', reason })

/** The Inbound of one verified Slack body; InboundInvalid when it is none of Slack's bodies. */
export function parseSlack(
	body: Uint8Array,
	contentType: string | null,
	botUserId: string | undefined,
): Inbound {
	const text = textOf(body, 'slack')
	const form = contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')
	if (form || (contentType === null && text.startsWith('payload='))) return interaction(text)
	const json = jsonOf(text, 'slack')
	const { type } = shapeOf(Body, json, 'slack body')
	if (type === 'url_verification') {
		const { challenge } = shapeOf(UrlVerification, json, 'slack url_verification')
		return { type: 'respond', response: Response.json({ challenge }) }
	}
	if (type !== 'event_callback') return ignore(`a slack ${type.slice(0, 40)} body`)
	const callback = shapeOf(EventCallback, json, 'slack event_callback')
	const kind = callback.event.type
	if (kind !== 'message' && kind !== 'app_mention') return ignore(`a ${kind.slice(0, 40)} event`)
	const event = shapeOf(MessageEvent, callback.event, 'slack event')
	if (!PERSON_SUBTYPES.has(event.subtype)) return ignore(`a message of subtype ${event.subtype}`)
	const bot = botUserId ?? callback.authorizations?.find((a) => a.is_bot)?.user_id ?? undefined
	if (event.bot_id) return ignore('a message from a bot')
	if (!event.user) return ignore('a message without a user')
	if (event.user === bot) return ignore("the bot's own message")
	const peer = { kind: peerKindOf(event.channel, event.channel_type), id: event.channel }
	// The bot answers in a thread outside DMs; that thread is where the conversation goes on.
	const thread = event.thread_ts ?? (peer.kind === 'dm' ? undefined : event.ts)
	const raw = event.text ?? ''
	return {
		type: 'message',
		envelope: {
			eventId: callback.event_id,
			// A mention in a channel the bot is in arrives twice, as `message` and as `app_mention`,
			// with different event_ids: the message's channel and ts are what the two share.
			dedupeKey: `msg:${event.channel}:${event.ts}`,
			peer,
			...(thread && { thread }),
			sender: { id: event.user },
			text: unescapeSlack(bot ? withoutMention(raw, bot) : raw).trim(),
			attachments: (event.files ?? []).map(fileAttachment),
			mentioned:
				peer.kind === 'dm' ||
				event.type === 'app_mention' ||
				(bot !== undefined && raw.includes(`<@${bot}`)),
			...(callback.team_id && { space: callback.team_id }),
			reply: { channel: event.channel, ...(thread && { threadTs: thread }) },
		},
	}
}

/** An interactivity request: only block_actions with an approval button are read. */
function interaction(form: string): Inbound {
	const raw = new URLSearchParams(form).get('payload')
	if (raw === null) return ignore('a form without a payload (slash commands are not handled)')
	const json = jsonOf(raw, 'slack interaction')
	const { type } = shapeOf(Body, json, 'slack interaction')
	if (type !== 'block_actions') return ignore(`a slack ${type.slice(0, 40)} interaction`)
	const payload = shapeOf(BlockActions, json, 'slack block_actions')
	const pressed = payload.actions
		.map((a) => approvalOfButton(a.action_id) ?? approvalOfButton(a.value))
		.find((p) => p !== undefined)
	if (!pressed) return ignore('a button press that is not an approval')
	const channel = payload.channel?.id ?? payload.container?.channel_id
	if (!channel) return ignore('a button press outside a conversation')
	const pressId = payload.trigger_id || payload.actions[0]?.action_ts
	if (!pressId) throw new InboundInvalid('slack block_actions: neither trigger_id nor action_ts')
	const kind = peerKindOf(channel, undefined)
	const message = payload.message
	const thread = message?.thread_ts ?? (kind === 'dm' ? undefined : (message?.ts ?? undefined))
	const name = payload.user.name ?? payload.user.username
	return {
		type: 'action',
		action: {
			eventId: pressId,
			dedupeKey: `action:${pressId}`,
			peer: { kind, id: channel },
			...(thread && { thread }),
			sender: { id: payload.user.id, ...(name && { name }) },
			...(payload.team?.id && { space: payload.team.id }),
			...pressed,
			reply: { channel, ...(thread && { threadTs: thread }) },
		},
	}
}

/** Without channel_type (app_mention, interactions) only a DM's id says what it is: it starts with D. */
function peerKindOf(channel: string, channelType: string | null | undefined): PeerKind {
	const known = channelType ? PEER_KINDS[channelType] : undefined
	return known ?? (channel.startsWith('D') ? 'dm' : 'channel')
}

function withoutMention(text: string, bot: string): string {
	const escaped = bot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
	// "ask <@B> now" reads "ask now"; "pearl, <@B>?" reads "pearl,?".
	return text.replace(
		new RegExp(`(\\s?)<@${escaped}(?:\\|[^>]*)?>(\\s?)`, 'g'),
		(_, before, after) => (before && after ? ' ' : ''),
	)
}

/** Slack escapes these three in message text; the agent reads the characters. */
function unescapeSlack(text: string): string {
	return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

function fileAttachment(file: z.infer<typeof SlackFile>): Attachment {
	const mime = file.mimetype ?? undefined
	const top = mime?.split('/')[0]
	const kind = top === 'image' || top === 'audio' || top === 'video' ? top : 'file'
	return {
		kind,
		id: file.id,
		...(file.name && { name: file.name }),
		...(mime && { mime }),
		...(file.url_private && { url: file.url_private }),
		...(typeof file.size === 'number' && { bytes: file.size }),
	}
}
