// Slack's inbound bodies as Inbounds: Events API JSON (url_verification, message and app_mention
// callbacks) and interactivity forms (`payload=<json>`, approval button presses).
import { z } from 'zod'
import { approvalOfButton } from '../approval-buttons'
import { jsonOf, shapeOf, textOf } from '../inbound-body'
import { type Attachment, type Inbound, InboundInvalid } from '../plugin'
import { peerKindOf, pressPeerKind } from './peer-kind'

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
	channel: z.looseObject({ id: z.string().min(1), name: z.string().nullish() }).nullish(),
	container: z.looseObject({ channel_id: z.string().nullish() }).nullish(),
	trigger_id: z.string().nullish(),
	message: z.looseObject({ ts: z.string().nullish(), thread_ts: z.string().nullish() }).nullish(),
	actions: z.array(
		z.looseObject({
			action_id: z.string().nullish(),
			block_id: z.string().nullish(),
			value: z.string().nullish(),
			action_ts: z.string().nullish(),
		}),
	),
})

/** Message subtypes that are a person writing; every other subtype is an edit, a join, a bot… */
const PERSON_SUBTYPES = new Set([undefined, null, 'file_share'])

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
				(bot !== undefined && new RegExp(mentionOf(bot)).test(raw)),
			...(callback.team_id && { space: callback.team_id }),
			// The peer kind goes along so that an approval prompt sent here can carry it (peer-kind.ts).
			reply: { channel: event.channel, ...(thread && { threadTs: thread }), peerKind: peer.kind },
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
	const button = payload.actions
		.map((action) => ({
			blockId: action.block_id,
			pressed: approvalOfButton(action.action_id) ?? approvalOfButton(action.value),
		}))
		.find((b) => b.pressed !== undefined)
	const pressed = button?.pressed
	if (!pressed) return ignore('a button press that is not an approval')
	const channel = payload.channel?.id ?? payload.container?.channel_id
	if (!channel) return ignore('a button press outside a conversation')
	const pressId = payload.trigger_id || payload.actions[0]?.action_ts
	if (!pressId) throw new InboundInvalid('slack block_actions: neither trigger_id nor action_ts')
	const kind = pressPeerKind({ id: channel, name: payload.channel?.name }, button.blockId)
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

/** A mention of exactly this user, `<@U…>` or `<@U…|name>`: never of a longer id that starts alike. */
function mentionOf(user: string): string {
	const escaped = user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
	return `<@${escaped}(?:\\|[^>]*)?>`
}

function withoutMention(text: string, bot: string): string {
	// "ask <@B> now" reads "ask now"; "pearl, <@B>?" reads "pearl,?".
	return text.replace(new RegExp(`(\\s?)${mentionOf(bot)}(\\s?)`, 'g'), (_, before, after) =>
		before && after ? ' ' : '',
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
