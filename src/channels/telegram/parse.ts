// A Telegram Update (https://core.telegram.org/bots/api#update) as an Inbound: messages and
// channel posts become envelopes, approval button presses become actions, the rest is ignored.
import { z } from 'zod'
import { approvalOfButton } from '../approval-buttons'
import { jsonOf, shapeOf, textOf } from '../inbound-body'
import type { Attachment, Inbound, Peer, Sender } from '../plugin'

const User = z.looseObject({
	id: z.number(),
	is_bot: z.boolean().optional(),
	first_name: z.string().optional(),
	last_name: z.string().optional(),
	username: z.string().optional(),
})

const Chat = z.looseObject({
	id: z.number(),
	type: z.string(),
	title: z.string().optional(),
	username: z.string().optional(),
})

const Entity = z.looseObject({
	type: z.string(),
	offset: z.number().int().nonnegative(),
	length: z.number().int().nonnegative(),
})

const FileRef = z.looseObject({
	file_id: z.string(),
	file_name: z.string().optional(),
	mime_type: z.string().optional(),
	file_size: z.number().optional(),
})

const PhotoSize = FileRef.extend({ width: z.number(), height: z.number() })

const Message = z.looseObject({
	message_id: z.number(),
	chat: Chat,
	from: User.optional(),
	/** Set for channel posts and anonymous group admins: the chat the message is sent on behalf of. */
	sender_chat: Chat.optional(),
	message_thread_id: z.number().optional(),
	is_topic_message: z.boolean().optional(),
	text: z.string().optional(),
	caption: z.string().optional(),
	entities: z.array(Entity).optional(),
	caption_entities: z.array(Entity).optional(),
	reply_to_message: z.looseObject({ from: User.optional() }).optional(),
	photo: z.array(PhotoSize).optional(),
	document: FileRef.optional(),
	audio: FileRef.optional(),
	voice: FileRef.optional(),
	video: FileRef.optional(),
	sticker: FileRef.optional(),
})
type Message = z.infer<typeof Message>

const CallbackQuery = z.looseObject({
	id: z.string(),
	from: User,
	/** Absent when the button was on an inline-mode message the bot cannot see. */
	message: Message.optional(),
	data: z.string().optional(),
})

const Update = z.looseObject({
	update_id: z.number().int().nonnegative(),
	message: Message.optional(),
	channel_post: Message.optional(),
	callback_query: CallbackQuery.optional(),
})

const PEER_KINDS: Record<string, Peer['kind']> = {
	private: 'dm',
	group: 'group',
	supergroup: 'group',
	channel: 'channel',
}

const ignore = (reason: string): Inbound => ({ type: 'ignore', reason })

/** The Inbound of one verified Update body; InboundInvalid when it is not an Update. */
export function parseUpdate(body: Uint8Array, botUsername: string | undefined): Inbound {
	const update = shapeOf(Update, jsonOf(textOf(body, 'telegram'), 'telegram'), 'telegram update')
	const eventId = String(update.update_id)
	// Telegram redelivers an update with the same id until it gets a 2xx: the id alone is the key.
	const ids = { eventId, dedupeKey: `update:${eventId}` }
	const bot = botUsername?.replace(/^@/, '').toLowerCase()
	const message = update.message ?? update.channel_post
	if (message) return messageInbound(message, ids, bot)
	const query = update.callback_query
	if (query) {
		const pressed = approvalOfButton(query.data)
		if (!pressed) return ignore('a button press that is not an approval')
		if (!query.message) return ignore('a button press on a message the bot cannot see')
		const peer = peerOf(query.message.chat)
		if (!peer) return ignore(`a button press in a ${query.message.chat.type} chat`)
		const thread = threadOf(query.message)
		return {
			type: 'action',
			action: {
				...ids,
				peer,
				...(thread !== undefined && { thread }),
				sender: userSender(query.from),
				...pressed,
				reply: { ...replyTarget(query.message), callbackQueryId: query.id },
			},
		}
	}
	const kind = Object.keys(update).find((key) => key !== 'update_id') ?? 'empty'
	if (kind.startsWith('edited_')) return ignore('an edited message')
	return ignore(`a ${kind.slice(0, 40)} update`)
}

function messageInbound(
	message: Message,
	ids: { eventId: string; dedupeKey: string },
	bot: string | undefined,
): Inbound {
	const peer = peerOf(message.chat)
	if (!peer) return ignore(`a message in a ${message.chat.type} chat`)
	const sender = messageSender(message)
	if (!sender) return ignore('a message from a bot')
	const raw = message.text ?? message.caption ?? ''
	const entities = (message.text !== undefined ? message.entities : message.caption_entities) ?? []
	const { text, addressed } = withoutBotMentions(raw, entities, bot)
	const repliedTo = message.reply_to_message?.from
	const replyToBot =
		bot !== undefined && repliedTo?.is_bot === true && repliedTo.username?.toLowerCase() === bot
	const thread = threadOf(message)
	return {
		type: 'message',
		envelope: {
			...ids,
			peer,
			...(thread !== undefined && { thread }),
			sender,
			text,
			attachments: attachmentsOf(message),
			mentioned: peer.kind === 'dm' || addressed || replyToBot,
			reply: replyTarget(message),
		},
	}
}

function peerOf(chat: z.infer<typeof Chat>): Peer | undefined {
	const kind = PEER_KINDS[chat.type]
	return kind && { kind, id: String(chat.id) }
}

/** A topic of a forum supergroup is a thread; a reply chain in an ordinary group is not. */
function threadOf(message: Message): string | undefined {
	return message.is_topic_message && message.message_thread_id !== undefined
		? String(message.message_thread_id)
		: undefined
}

function replyTarget(message: Message): Record<string, unknown> {
	const thread = threadOf(message)
	return {
		chatId: message.chat.id,
		...(thread !== undefined && { threadId: message.message_thread_id }),
		replyTo: message.message_id,
	}
}

/**
 * Who wrote the message: the chat it was sent on behalf of (a channel post, an anonymous group
 * admin — whose `from` is Telegram's placeholder bot), else its author; undefined for a bot.
 */
function messageSender(message: Message): Sender | undefined {
	const onBehalf = message.sender_chat
	if (onBehalf) {
		const name = onBehalf.title ?? onBehalf.username
		return { id: String(onBehalf.id), ...(name !== undefined && { name }) }
	}
	if (!message.from || message.from.is_bot) return undefined
	return userSender(message.from)
}

function userSender(user: z.infer<typeof User>): Sender {
	const name = [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username
	return { id: String(user.id), ...(name ? { name } : {}) }
}

/**
 * Whether the text addresses the bot (`@bot`, `/cmd@bot`), and the text without those mentions.
 * Entity offsets count UTF-16 units, as JavaScript strings do.
 */
function withoutBotMentions(
	text: string,
	entities: z.infer<typeof Entity>[],
	bot: string | undefined,
): { text: string; addressed: boolean } {
	if (bot === undefined) return { text: text.trim(), addressed: false }
	const cuts: { start: number; end: number; spaced: boolean }[] = []
	for (const entity of entities) {
		const end = entity.offset + entity.length
		const slice = text.slice(entity.offset, end)
		if (entity.type === 'mention' && slice.toLowerCase() === `@${bot}`) {
			cuts.push({ start: entity.offset, end, spaced: true })
		} else if (entity.type === 'bot_command') {
			const at = slice.indexOf('@')
			if (at >= 0 && slice.slice(at + 1).toLowerCase() === bot)
				cuts.push({ start: entity.offset + at, end, spaced: false })
		}
	}
	let out = text
	let before = text.length
	for (const cut of cuts.sort((a, b) => b.start - a.start)) {
		if (cut.end > before) continue // overlapping entities: the text is cut once
		// A mention takes one space beside it along, so "ask @bot now" reads "ask now".
		const end = cut.spaced && /\s/.test(out.charAt(cut.end)) ? cut.end + 1 : cut.end
		out = out.slice(0, cut.start) + out.slice(end)
		before = cut.start
	}
	return { text: out.trim(), addressed: cuts.length > 0 }
}

function attachmentsOf(message: Message): Attachment[] {
	const out: Attachment[] = []
	// Telegram sends every size of a photo; the agent gets the largest.
	const sizes = message.photo ?? []
	const photo = sizes.reduce<(typeof sizes)[number] | undefined>(
		(a, b) => (a === undefined || b.width * b.height > a.width * a.height ? b : a),
		undefined,
	)
	if (photo) out.push(fileAttachment('image', photo))
	if (message.document) out.push(fileAttachment('file', message.document))
	if (message.audio) out.push(fileAttachment('audio', message.audio))
	if (message.voice) out.push(fileAttachment('audio', message.voice))
	if (message.video) out.push(fileAttachment('video', message.video))
	if (message.sticker) out.push(fileAttachment('image', message.sticker))
	return out
}

function fileAttachment(kind: Attachment['kind'], file: z.infer<typeof FileRef>): Attachment {
	return {
		kind,
		id: file.file_id,
		...(file.file_name !== undefined && { name: file.file_name }),
		...(file.mime_type !== undefined && { mime: file.mime_type }),
		...(file.file_size !== undefined && { bytes: file.file_size }),
	}
}
