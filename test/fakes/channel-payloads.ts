// What chat platforms post to a channel's webhook, shaped as their documentation shows it
// (Telegram Bot API Update objects, Slack Events API and interactivity bodies), and how they sign it.

// ---------------------------------------------------------------------------------------------
// Telegram (https://core.telegram.org/bots/api#update)

export const TELEGRAM_BOT_USERNAME = 'EdgeclawBot'
const telegramBot = {
	id: 7000000001,
	is_bot: true,
	first_name: 'Edgeclaw',
	username: 'EdgeclawBot',
}
const telegramUser = {
	id: 1111111,
	is_bot: false,
	first_name: 'Test',
	last_name: 'Lastname',
	username: 'Test',
	language_code: 'en',
}
const privateChat = {
	id: 1111111,
	first_name: 'Test',
	last_name: 'Lastname',
	username: 'Test',
	type: 'private',
}
const supergroup = { id: -1001234567890, title: 'Edgeclaw testers', type: 'supergroup' }

/** A DM: the classic webhook sample of Telegram's guide, with today's required chat.type. */
export const telegramPrivateText = {
	update_id: 10000,
	message: {
		date: 1441645532,
		chat: privateChat,
		message_id: 1365,
		from: telegramUser,
		text: '/start',
		entities: [{ offset: 0, length: 6, type: 'bot_command' }],
	},
}

/** A supergroup message that mentions the bot in the middle of the text. */
export const telegramGroupMention = {
	update_id: 10001,
	message: {
		message_id: 1366,
		from: telegramUser,
		chat: supergroup,
		date: 1441645600,
		text: 'hey @edgeclawbot what is the weather?',
		entities: [{ offset: 4, length: 12, type: 'mention' }],
	},
}

/** A command addressed to the bot by name in a group. */
export const telegramGroupCommand = {
	update_id: 10002,
	message: {
		message_id: 1367,
		from: telegramUser,
		chat: supergroup,
		date: 1441645601,
		text: '/help@EdgeclawBot topics',
		entities: [{ offset: 0, length: 17, type: 'bot_command' }],
	},
}

/** A reply to one of the bot's own messages, without a mention. */
export const telegramGroupReplyToBot = {
	update_id: 10003,
	message: {
		message_id: 1368,
		from: telegramUser,
		chat: supergroup,
		date: 1441645602,
		text: 'and tomorrow?',
		reply_to_message: {
			message_id: 1360,
			from: telegramBot,
			chat: supergroup,
			date: 1441645500,
			text: 'Sunny.',
		},
	},
}

/** Group chatter that does not address the bot (a mention of someone else). */
export const telegramGroupPlain = {
	update_id: 10004,
	message: {
		message_id: 1369,
		from: telegramUser,
		chat: { id: -4000000001, title: 'Small group', type: 'group' },
		date: 1441645603,
		text: 'ask @someone_else about it',
		entities: [{ offset: 4, length: 13, type: 'mention' }],
	},
}

/** A message in a forum topic of a supergroup. */
export const telegramTopicMessage = {
	update_id: 10005,
	message: {
		message_id: 1370,
		message_thread_id: 42,
		is_topic_message: true,
		from: telegramUser,
		chat: { ...supergroup, is_forum: true },
		date: 1441645604,
		text: '@EdgeclawBot summarise this topic',
		entities: [{ offset: 0, length: 12, type: 'mention' }],
	},
}

/** A photo with a caption: every size Telegram made, smallest first. */
export const telegramPhotoCaption = {
	update_id: 10006,
	message: {
		message_id: 1371,
		from: telegramUser,
		chat: privateChat,
		date: 1441645605,
		photo: [
			{ file_id: 'AgADphoto-s', file_unique_id: 'AQADs', file_size: 1432, width: 90, height: 67 },
			{
				file_id: 'AgADphoto-l',
				file_unique_id: 'AQADl',
				file_size: 80211,
				width: 1280,
				height: 960,
			},
			{
				file_id: 'AgADphoto-m',
				file_unique_id: 'AQADm',
				file_size: 19780,
				width: 320,
				height: 240,
			},
		],
		caption: 'what is in this picture?',
	},
}

function mediaMessage(updateId: number, media: Record<string, unknown>) {
	return {
		update_id: updateId,
		message: {
			message_id: updateId,
			from: telegramUser,
			chat: privateChat,
			date: 1441645606,
			...media,
		},
	}
}

export const telegramDocument = mediaMessage(10007, {
	document: {
		file_name: 'report.pdf',
		mime_type: 'application/pdf',
		file_id: 'BQADdoc',
		file_unique_id: 'AgADdoc',
		file_size: 52345,
	},
	caption: 'please review',
})
export const telegramAudio = mediaMessage(10008, {
	audio: {
		duration: 183,
		file_name: 'song.mp3',
		mime_type: 'audio/mpeg',
		file_id: 'CQADaudio',
		file_unique_id: 'AgADaudio',
		file_size: 2930000,
	},
})
export const telegramVoice = mediaMessage(10009, {
	voice: {
		duration: 3,
		mime_type: 'audio/ogg',
		file_id: 'AwADvoice',
		file_unique_id: 'AgADvoice',
		file_size: 9152,
	},
})
export const telegramVideo = mediaMessage(10010, {
	video: {
		duration: 12,
		width: 1280,
		height: 720,
		file_name: 'clip.mp4',
		mime_type: 'video/mp4',
		file_id: 'BAADvideo',
		file_unique_id: 'AgADvideo',
		file_size: 1204000,
	},
})
export const telegramSticker = mediaMessage(10011, {
	sticker: {
		width: 512,
		height: 512,
		emoji: '👍',
		set_name: 'Animals',
		is_animated: false,
		is_video: false,
		type: 'regular',
		file_id: 'CAADsticker',
		file_unique_id: 'AgADsticker',
		file_size: 22830,
	},
})

/** A post in a channel the bot administers: no `from`, the channel is the sender. */
export const telegramChannelPost = {
	update_id: 10012,
	channel_post: {
		message_id: 88,
		sender_chat: { id: -1009876543210, title: 'Edgeclaw news', type: 'channel' },
		chat: { id: -1009876543210, title: 'Edgeclaw news', type: 'channel' },
		date: 1441645607,
		text: 'New release out',
	},
}

export const telegramEditedMessage = {
	update_id: 10013,
	edited_message: {
		message_id: 1365,
		from: telegramUser,
		chat: privateChat,
		date: 1441645532,
		edit_date: 1441645700,
		text: '/start again',
	},
}

/** Another bot's message in a group (bots see each other only when admins, but they do). */
export const telegramFromBot = {
	update_id: 10014,
	message: {
		message_id: 1372,
		from: { id: 7000000002, is_bot: true, first_name: 'Other', username: 'OtherBot' },
		chat: supergroup,
		date: 1441645608,
		text: '@EdgeclawBot ping',
		entities: [{ offset: 0, length: 12, type: 'mention' }],
	},
}

/** The bot was added to a chat: an update kind the channel does not read. */
export const telegramMyChatMember = {
	update_id: 10015,
	my_chat_member: {
		chat: supergroup,
		from: telegramUser,
		date: 1441645609,
		old_chat_member: { user: telegramBot, status: 'left' },
		new_chat_member: { user: telegramBot, status: 'member' },
	},
}

/** A press of an inline keyboard button under the bot's approval message. */
export function telegramCallbackQuery(data: string, updateId = 10016) {
	return {
		update_id: updateId,
		callback_query: {
			id: '4382bfdwdsf43',
			from: telegramUser,
			message: {
				message_id: 1400,
				from: telegramBot,
				chat: privateChat,
				date: 1441645610,
				text: 'Approval needed: run_js',
			},
			chat_instance: '-7654321098765432101',
			data,
		},
	}
}

// ---------------------------------------------------------------------------------------------
// Slack (https://api.slack.com/apis/events-api, https://api.slack.com/events/app_mention,
// https://api.slack.com/reference/interaction-payloads/block-actions)

export const SLACK_BOT_USER_ID = 'U0LAN0Z89'

export const slackUrlVerification = {
	token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
	challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
	type: 'url_verification',
}

function slackCallback(eventId: string, event: Record<string, unknown>) {
	return {
		token: 'ZZZZZZWSxiZZZ2yIvs3peJ',
		team_id: 'T061EG9R6',
		api_app_id: 'A0MDYCDME',
		event,
		type: 'event_callback',
		event_id: eventId,
		event_time: 1515449522,
		authorizations: [
			{
				enterprise_id: null,
				team_id: 'T061EG9R6',
				user_id: SLACK_BOT_USER_ID,
				is_bot: true,
				is_enterprise_install: false,
			},
		],
	}
}

/** The app_mention example of Slack's documentation. */
export const slackAppMention = slackCallback('Ev0LAN670R', {
	type: 'app_mention',
	user: 'U061F7AUR',
	text: 'What is the hour of the pearl, <@U0LAN0Z89>?',
	ts: '1515449522.000016',
	channel: 'C0LAN2Q65',
	event_ts: '1515449522000016',
})

/** The `message.channels` event Slack sends for the same mention, under its own event_id. */
export const slackChannelMessageOfMention = slackCallback('Ev0LAN670S', {
	type: 'message',
	user: 'U061F7AUR',
	text: 'What is the hour of the pearl, <@U0LAN0Z89>?',
	ts: '1515449522.000016',
	channel: 'C0LAN2Q65',
	event_ts: '1515449522.000016',
	channel_type: 'channel',
})

/** The message.im example of Slack's documentation. */
export const slackImMessage = slackCallback('Ev0MDYHUEL', {
	type: 'message',
	channel: 'D024BE91L',
	user: 'U2147483697',
	text: 'Hello hello can you hear me? a &lt; b &amp;&amp; c',
	ts: '1355517523.000005',
	event_ts: '1355517523.000005',
	channel_type: 'im',
})

/** A reply in a thread of a channel, not mentioning the bot. */
export const slackThreadReply = slackCallback('Ev0THREAD1', {
	type: 'message',
	channel: 'C0LAN2Q65',
	user: 'U2147483697',
	text: 'following up here',
	ts: '1355517600.000008',
	thread_ts: '1355517523.000005',
	event_ts: '1355517600.000008',
	channel_type: 'channel',
})

/** A group DM between several people and the bot. */
export const slackMpimMessage = slackCallback('Ev0MPIM001', {
	type: 'message',
	channel: 'G024BE91L',
	user: 'U2147483697',
	text: 'hi all',
	ts: '1355517700.000001',
	event_ts: '1355517700.000001',
	channel_type: 'mpim',
})

/** A file shared in a DM with a comment. */
export const slackFileShare = slackCallback('Ev0FILE0001', {
	type: 'message',
	subtype: 'file_share',
	channel: 'D024BE91L',
	user: 'U2147483697',
	text: 'see attached',
	ts: '1355517800.000002',
	event_ts: '1355517800.000002',
	channel_type: 'im',
	files: [
		{
			id: 'F0S43PZDF',
			name: 'diagram.png',
			mimetype: 'image/png',
			filetype: 'png',
			size: 43518,
			url_private: 'https://files.slack.com/files-pri/T061EG9R6-F0S43PZDF/diagram.png',
		},
		{
			id: 'F0S43Q0AA',
			name: 'notes.txt',
			mimetype: 'text/plain',
			size: 120,
			url_private: 'https://files.slack.com/files-pri/T061EG9R6-F0S43Q0AA/notes.txt',
		},
	],
})

export const slackBotMessage = slackCallback('Ev0BOT00001', {
	type: 'message',
	subtype: 'bot_message',
	bot_id: 'B0LAN0Z89',
	channel: 'C0LAN2Q65',
	text: 'I am a bot',
	ts: '1355517900.000003',
	channel_type: 'channel',
})

export const slackMessageChanged = slackCallback('Ev0EDIT0001', {
	type: 'message',
	subtype: 'message_changed',
	hidden: true,
	channel: 'C0LAN2Q65',
	ts: '1355518000.000004',
	message: { type: 'message', user: 'U2147483697', text: 'edited', ts: '1355517600.000008' },
	channel_type: 'channel',
})

/** A message under the bot's own user id (the echo of its reply), without a bot_id. */
export const slackOwnMessage = slackCallback('Ev0OWN00001', {
	type: 'message',
	user: SLACK_BOT_USER_ID,
	channel: 'D024BE91L',
	text: 'my own answer',
	ts: '1355518100.000005',
	channel_type: 'im',
})

export const slackReactionAdded = slackCallback('Ev0REACT001', {
	type: 'reaction_added',
	user: 'U2147483697',
	reaction: 'thumbsup',
	item: { type: 'message', channel: 'C0LAN2Q65', ts: '1355517523.000005' },
	event_ts: '1355518200.000006',
})

/** A press of an approval button, shaped as the block_actions example of Slack's documentation. */
export function slackBlockActions(actionId: string, over: Record<string, unknown> = {}) {
	return {
		type: 'block_actions',
		team: { id: 'T9TK3CUKW', domain: 'example' },
		user: { id: 'UA8RXUSPL', username: 'jtorrance', name: 'jtorrance', team_id: 'T9TK3CUKW' },
		api_app_id: 'AABA1ABCD',
		token: '9s8d9as89d8as9d8as989',
		container: {
			type: 'message',
			message_ts: '1548261231.000200',
			channel_id: 'CBR2V3XEX',
			is_ephemeral: false,
		},
		trigger_id: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
		channel: { id: 'CBR2V3XEX', name: 'review-updates' },
		message: {
			bot_id: 'BAH5CA16Z',
			type: 'message',
			text: 'Approval needed: run_js',
			user: 'UAJ2RU415',
			ts: '1548261231.000200',
			thread_ts: '1548261200.000100',
		},
		response_url: 'https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209',
		actions: [
			{
				action_id: actionId,
				block_id: '=qXel',
				text: { type: 'plain_text', text: 'Allow once', emoji: true },
				value: actionId,
				type: 'button',
				action_ts: '1548426417.840180',
			},
		],
		...over,
	}
}

/** An interactivity body as Slack posts it: form-encoded, the JSON in `payload`. */
export function slackInteractionForm(payload: unknown): string {
	return new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
}

/**
 * The worked example of Slack's "Verifying requests from Slack" (a slash command body): this
 * secret, timestamp and body give this signature.
 */
export const slackSigningExample = {
	signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
	timestamp: '1531420618',
	body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
	signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
}

/** `v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)>`, as Slack signs a request. */
export async function slackSignature(
	secret: string,
	timestamp: string,
	body: string | Uint8Array,
): Promise<string> {
	const encoder = new TextEncoder()
	const key = await crypto.subtle.importKey(
		'raw',
		encoder.encode(secret),
		{ name: 'HMAC', hash: 'SHA-256' },
		false,
		['sign'],
	)
	const bytes = typeof body === 'string' ? encoder.encode(body) : body
	const prefix = encoder.encode(`v0:${timestamp}:`)
	const signed = new Uint8Array(prefix.byteLength + bytes.byteLength)
	signed.set(prefix)
	signed.set(bytes, prefix.byteLength)
	const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, signed))
	return `v0=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}
