// The Telegram plugin called directly: its secret-token check, every kind of Update it reads, its
// webhook answers, and the Bot API calls it makes (against a scripted fetch), token never leaked.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Envelope, type Inbound, InboundInvalid } from '../../src/channels/plugin'
import { telegram } from '../../src/channels/telegram'
import { pluginContext, rawInbound } from '../fakes/channel-context'
import {
	TELEGRAM_BOT_USERNAME,
	telegramAudio,
	telegramCallbackQuery,
	telegramChannelPost,
	telegramDocument,
	telegramEditedMessage,
	telegramFromBot,
	telegramGroupCommand,
	telegramGroupMention,
	telegramGroupPlain,
	telegramGroupReplyToBot,
	telegramMyChatMember,
	telegramPhotoCaption,
	telegramPrivateText,
	telegramSticker,
	telegramTopicMessage,
	telegramVideo,
	telegramVoice,
} from '../fakes/channel-payloads'
import { type Reply, scriptedFetch } from '../fakes/provider-wire'

const TOKEN = '123456789:AAE-bot_token-value-0123456789abcdef'
const WEBHOOK_SECRET = 'webhook_Secret-0123456789'
const APPROVAL_ID = '6f1c2a4e-0a43-4d8e-9a55-3c1e2f7b9d10'
const CONFIG = {
	secrets: { botToken: 'TG_BOT_TOKEN', webhookSecret: 'TG_WEBHOOK_SECRET' },
	botUsername: TELEGRAM_BOT_USERNAME,
}
const SECRETS = { TG_BOT_TOKEN: TOKEN, TG_WEBHOOK_SECRET: WEBHOOK_SECRET }

const context = (config: object = CONFIG, fetch?: typeof globalThis.fetch) =>
	pluginContext(telegram, config, { secrets: SECRETS, ...(fetch && { fetch }) })

function parse(update: unknown, config: object = CONFIG): Inbound {
	const body = typeof update === 'string' ? update : JSON.stringify(update)
	return telegram.parse(context(config), rawInbound(body))
}

function envelopeOf(update: unknown, config: object = CONFIG): Envelope {
	const inbound = parse(update, config)
	if (inbound.type !== 'message')
		throw new Error(`expected a message, got ${JSON.stringify(inbound)}`)
	return inbound.envelope
}

/** A Bot API answer: `{ok:true, result}` or Telegram's error body with its status. */
const botOk = (result: unknown): Reply => ({ status: 200, headers: {}, body: { ok: true, result } })
const botError = (status: number, description: string, extra: object = {}): Reply => ({
	status,
	headers: {},
	body: { ok: false, error_code: status, description, ...extra },
})

describe('telegram config', () => {
	it('defaults the API base to Telegram and refuses unknown fields, bad secret names and usernames', () => {
		expect(telegram.config.parse(CONFIG).apiBase).toBe('https://api.telegram.org')
		expect(telegram.urls(telegram.config.parse(CONFIG))).toEqual(['https://api.telegram.org'])
		expect(telegram.config.safeParse({ ...CONFIG, token: TOKEN }).success).toBe(false)
		expect(
			telegram.config.safeParse({ secrets: { botToken: 'bot token', webhookSecret: 'W' } }).success,
		).toBe(false)
		expect(telegram.config.safeParse({ secrets: { botToken: 'A' } }).success).toBe(false)
		expect(telegram.config.safeParse({ ...CONFIG, botUsername: 'has space' }).success).toBe(false)
		expect(telegram.config.safeParse({ ...CONFIG, apiBase: 'not a url' }).success).toBe(false)
	})
})

describe('telegram verify', () => {
	const verify = (headers: Record<string, string>) =>
		telegram.verify(context(), rawInbound(JSON.stringify(telegramPrivateText), headers))

	it('accepts the secret token Telegram echoes', async () => {
		expect(await verify({ 'X-Telegram-Bot-Api-Secret-Token': WEBHOOK_SECRET })).toBe(true)
	})

	it('refuses a missing, empty, wrong, truncated or extended token', async () => {
		expect(await verify({})).toBe(false)
		expect(await verify({ 'X-Telegram-Bot-Api-Secret-Token': '' })).toBe(false)
		expect(await verify({ 'X-Telegram-Bot-Api-Secret-Token': 'webhook_Secret-0123456788' })).toBe(
			false,
		)
		expect(await verify({ 'X-Telegram-Bot-Api-Secret-Token': WEBHOOK_SECRET.slice(0, -1) })).toBe(
			false,
		)
		expect(await verify({ 'X-Telegram-Bot-Api-Secret-Token': `${WEBHOOK_SECRET}x` })).toBe(false)
		expect(await verify({ Authorization: `Bearer ${WEBHOOK_SECRET}` })).toBe(false)
	})

	it('never throws, whatever the headers and body', async () => {
		const ctx = context()
		await fc.assert(
			fc.asyncProperty(
				fc.dictionary(
					fc.constantFrom('x-telegram-bot-api-secret-token', 'content-type', 'x-other'),
					fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
				),
				fc.uint8Array({ maxLength: 200 }),
				async (headers, body) => {
					const ok = await telegram.verify(ctx, rawInbound(body, headers))
					expect(ok).toBe(headers['x-telegram-bot-api-secret-token'] === WEBHOOK_SECRET)
				},
			),
			{ numRuns: 200 },
		)
	})
})

describe('telegram parse: messages', () => {
	it('reads a DM: peer, sender, text, reply target, dedupe key from update_id', () => {
		const envelope = envelopeOf(telegramPrivateText)
		expect(envelope).toEqual({
			eventId: '10000',
			dedupeKey: 'update:10000',
			peer: { kind: 'dm', id: '1111111' },
			sender: { id: '1111111', name: 'Test Lastname' },
			text: '/start',
			attachments: [],
			mentioned: true,
			reply: { chatId: 1111111, replyTo: 1365 },
		})
	})

	it('keys dedupe on the update alone: the same update twice is one key, each update its own', () => {
		const keys = [telegramPrivateText, telegramPrivateText, telegramGroupMention].map(
			(u) => envelopeOf(u).dedupeKey,
		)
		expect(keys).toEqual(['update:10000', 'update:10000', 'update:10001'])
		// A lower update_id after a higher one is still new: a set of ids, not a high-water mark.
		const earlier = { ...telegramPrivateText, update_id: 9000 }
		expect(envelopeOf(earlier).dedupeKey).toBe('update:9000')
	})

	it('takes a group mention of the bot, any case, out of the text', () => {
		const envelope = envelopeOf(telegramGroupMention)
		expect(envelope.peer).toEqual({ kind: 'group', id: '-1001234567890' })
		expect(envelope.mentioned).toBe(true)
		expect(envelope.text).toBe('hey what is the weather?')
		expect(envelope.thread).toBeUndefined()
		const withAt = envelopeOf(telegramGroupMention, { ...CONFIG, botUsername: '@EDGECLAWBOT' })
		expect(withAt.mentioned).toBe(true)
		const twice = structuredClone(telegramGroupMention)
		twice.message.entities.push({ offset: 4, length: 12, type: 'mention' })
		expect(envelopeOf(twice).text).toBe('hey what is the weather?')
	})

	it('counts a /command@bot, and strips the @bot from it', () => {
		const envelope = envelopeOf(telegramGroupCommand)
		expect(envelope.mentioned).toBe(true)
		expect(envelope.text).toBe('/help topics')
	})

	it('does not count a bare /command in a group, nor a command for another bot', () => {
		const bare = structuredClone(telegramGroupCommand)
		bare.message.text = '/help topics'
		bare.message.entities = [{ offset: 0, length: 5, type: 'bot_command' }]
		expect(envelopeOf(bare).mentioned).toBe(false)
		const other = structuredClone(telegramGroupCommand)
		other.message.text = '/help@OtherBot'
		other.message.entities = [{ offset: 0, length: 14, type: 'bot_command' }]
		expect(envelopeOf(other)).toMatchObject({ mentioned: false, text: '/help@OtherBot' })
	})

	it('counts a reply to the bot, not a reply to another bot', () => {
		expect(envelopeOf(telegramGroupReplyToBot)).toMatchObject({
			mentioned: true,
			text: 'and tomorrow?',
		})
		const other = structuredClone(telegramGroupReplyToBot)
		other.message.reply_to_message.from.username = 'OtherBot'
		expect(envelopeOf(other).mentioned).toBe(false)
	})

	it('leaves group chatter that does not address the bot unmentioned and untouched', () => {
		const envelope = envelopeOf(telegramGroupPlain)
		expect(envelope).toMatchObject({
			peer: { kind: 'group', id: '-4000000001' },
			mentioned: false,
			text: 'ask @someone_else about it',
		})
	})

	it('without a configured username only DMs count as addressed, and nothing is stripped', () => {
		const { botUsername: _, ...unnamed } = CONFIG
		expect(envelopeOf(telegramGroupMention, unnamed)).toMatchObject({
			mentioned: false,
			text: 'hey @edgeclawbot what is the weather?',
		})
		expect(envelopeOf(telegramGroupReplyToBot, unnamed).mentioned).toBe(false)
		expect(envelopeOf(telegramPrivateText, unnamed).mentioned).toBe(true)
	})

	it('reads a forum topic as the thread, and answers in it', () => {
		const envelope = envelopeOf(telegramTopicMessage)
		expect(envelope.thread).toBe('42')
		expect(envelope.text).toBe('summarise this topic')
		expect(envelope.reply).toEqual({ chatId: -1001234567890, threadId: 42, replyTo: 1370 })
	})

	it('takes the caption as text and the largest photo size as the image', () => {
		const envelope = envelopeOf(telegramPhotoCaption)
		expect(envelope.text).toBe('what is in this picture?')
		expect(envelope.attachments).toEqual([{ kind: 'image', id: 'AgADphoto-l', bytes: 80211 }])
		const sizeless = structuredClone(telegramPhotoCaption)
		sizeless.message.photo = []
		expect(envelopeOf(sizeless).attachments).toEqual([])
	})

	it('reads documents, audio, voice, video and stickers as attachments', () => {
		expect(envelopeOf(telegramDocument)).toMatchObject({
			text: 'please review',
			attachments: [
				{ kind: 'file', id: 'BQADdoc', name: 'report.pdf', mime: 'application/pdf', bytes: 52345 },
			],
		})
		expect(envelopeOf(telegramAudio).attachments).toEqual([
			{ kind: 'audio', id: 'CQADaudio', name: 'song.mp3', mime: 'audio/mpeg', bytes: 2930000 },
		])
		expect(envelopeOf(telegramVoice).attachments).toEqual([
			{ kind: 'audio', id: 'AwADvoice', mime: 'audio/ogg', bytes: 9152 },
		])
		expect(envelopeOf(telegramVideo).attachments).toEqual([
			{ kind: 'video', id: 'BAADvideo', name: 'clip.mp4', mime: 'video/mp4', bytes: 1204000 },
		])
		expect(envelopeOf(telegramSticker)).toMatchObject({
			text: '',
			attachments: [{ kind: 'image', id: 'CAADsticker', bytes: 22830 }],
		})
	})

	it('reads a channel post with the channel as its sender', () => {
		expect(envelopeOf(telegramChannelPost)).toMatchObject({
			dedupeKey: 'update:10012',
			peer: { kind: 'channel', id: '-1009876543210' },
			sender: { id: '-1009876543210', name: 'Edgeclaw news' },
			text: 'New release out',
			mentioned: false,
		})
	})

	it('ignores edits, other bots, updates it does not read and chats of unknown types', () => {
		expect(parse(telegramEditedMessage)).toEqual({ type: 'ignore', reason: 'an edited message' })
		expect(parse(telegramFromBot)).toEqual({ type: 'ignore', reason: 'a message from a bot' })
		const other = parse(telegramMyChatMember)
		expect(other.type === 'ignore' && other.reason).toContain('my_chat_member')
		const odd = structuredClone(telegramPrivateText)
		odd.message.chat.type = 'sender'
		expect(parse(odd).type).toBe('ignore')
	})
})

describe('telegram parse: approval buttons and bad bodies', () => {
	it('reads an approval button press as an action that can answer the callback query', () => {
		const inbound = parse(telegramCallbackQuery(`ap:${APPROVAL_ID}:always`))
		expect(inbound).toEqual({
			type: 'action',
			action: {
				eventId: '10016',
				dedupeKey: 'update:10016',
				peer: { kind: 'dm', id: '1111111' },
				sender: { id: '1111111', name: 'Test Lastname' },
				approvalId: APPROVAL_ID,
				choice: 'always',
				reply: { chatId: 1111111, replyTo: 1400, callbackQueryId: '4382bfdwdsf43' },
			},
		})
	})

	it('ignores other buttons and presses on messages the bot cannot see', () => {
		expect(parse(telegramCallbackQuery('option_1')).type).toBe('ignore')
		expect(parse(telegramCallbackQuery(`ap:${APPROVAL_ID}:maybe`)).type).toBe('ignore')
		const inline = telegramCallbackQuery(`ap:${APPROVAL_ID}:once`) as {
			callback_query: { message?: unknown }
		}
		delete inline.callback_query.message
		expect(parse(inline).type).toBe('ignore')
	})

	it('throws InboundInvalid for bodies that are not an Update', () => {
		const bad = [
			'not json',
			'[1,2]',
			'null',
			'"update"',
			'{}',
			'{"update_id":"10000"}',
			'{"update_id":-1}',
			'{"update_id":1.5}',
			JSON.stringify({ update_id: 1, message: { message_id: 1, text: 'no chat' } }),
		]
		for (const body of bad) expect(() => parse(body), body).toThrow(InboundInvalid)
		expect(() =>
			telegram.parse(context(), rawInbound(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))),
		).toThrow(InboundInvalid)
	})

	it('throws nothing but InboundInvalid for arbitrary JSON, bytes or near-Updates', () => {
		const ctx = context()
		const entity = fc.record({
			type: fc.constantFrom('mention', 'bot_command', 'url', 'text_mention'),
			offset: fc.nat(60),
			length: fc.nat(60),
		})
		const nearUpdate = fc.record({
			update_id: fc.oneof(fc.nat(), fc.integer(), fc.string()),
			message: fc.record(
				{
					message_id: fc.oneof(fc.nat(), fc.string()),
					chat: fc.record({
						id: fc.integer(),
						type: fc.constantFrom('private', 'group', 'supergroup', 'channel', 'x'),
					}),
					from: fc.record({ id: fc.integer(), is_bot: fc.boolean(), username: fc.string() }),
					text: fc.string(),
					entities: fc.array(entity, { maxLength: 4 }),
					photo: fc.array(fc.record({ file_id: fc.string(), width: fc.nat(), height: fc.nat() }), {
						maxLength: 3,
					}),
				},
				{ requiredKeys: ['chat'] },
			),
		})
		const bodies = fc.oneof(
			fc.json().map((j) => new TextEncoder().encode(j)),
			nearUpdate.map((u) => new TextEncoder().encode(JSON.stringify(u))),
			fc.uint8Array({ maxLength: 200 }),
		)
		fc.assert(
			fc.property(bodies, (body) => {
				try {
					const inbound = telegram.parse(ctx, rawInbound(body))
					expect(['message', 'action', 'ignore']).toContain(inbound.type)
				} catch (error) {
					expect(error).toBeInstanceOf(InboundInvalid)
				}
			}),
			{ numRuns: 500 },
		)
	})
})

describe('telegram respond', () => {
	it('answers every message outcome with 200 and an empty JSON object', async () => {
		const inbound = parse(telegramPrivateText)
		for (const outcome of [
			{ kind: 'accepted', runId: 'r1', duplicate: false },
			{ kind: 'dropped', reason: 'not mentioned' },
		] as const) {
			const response = telegram.respond(context(), inbound, outcome)
			expect(response.status).toBe(200)
			expect(await response.json()).toEqual({})
		}
	})

	it('answers a button press with answerCallbackQuery saying what happened', async () => {
		const inbound = parse(telegramCallbackQuery(`ap:${APPROVAL_ID}:deny`))
		const taken = telegram.respond(context(), inbound, {
			kind: 'accepted',
			runId: 'r1',
			duplicate: false,
		})
		expect(taken.status).toBe(200)
		expect(await taken.json()).toEqual({
			method: 'answerCallbackQuery',
			callback_query_id: '4382bfdwdsf43',
			text: 'Denied',
		})
		const refused = telegram.respond(context(), inbound, { kind: 'dropped', reason: 'not allowed' })
		expect(await refused.json()).toMatchObject({ text: 'Not taken: not allowed' })
	})
})

describe('telegram send', () => {
	const target = { chatId: -1001234567890, threadId: 42, replyTo: 1370 }

	it('posts part 1 as a plain-text reply in the topic, later parts without the reply link', async () => {
		const wire = scriptedFetch((_, n) => botOk({ message_id: 2000 + n }))
		const ctx = context(CONFIG, wire.fetch)
		const first = await telegram.send(ctx, { kind: 'text', text: 'one', part: 1, parts: 2, target })
		const second = await telegram.send(ctx, {
			kind: 'text',
			text: 'two',
			part: 2,
			parts: 2,
			target,
		})
		expect(first).toEqual({ ok: true, messageId: '2001' })
		expect(second).toEqual({ ok: true, messageId: '2002' })
		expect(wire.exchanges.map((x) => x.url)).toEqual([
			`https://api.telegram.org/bot${TOKEN}/sendMessage`,
			`https://api.telegram.org/bot${TOKEN}/sendMessage`,
		])
		expect(wire.exchanges[0]?.body).toEqual({
			chat_id: -1001234567890,
			message_thread_id: 42,
			text: 'one',
			reply_parameters: { message_id: 1370, allow_sending_without_reply: true },
		})
		expect(wire.exchanges[1]?.body).toEqual({
			chat_id: -1001234567890,
			message_thread_id: 42,
			text: 'two',
		})
	})

	it('uses a configured API base (a self-hosted Bot API server)', async () => {
		const wire = scriptedFetch(() => botOk({ message_id: 1 }))
		const ctx = context({ ...CONFIG, apiBase: 'https://bots.example.net/tg/' }, wire.fetch)
		await telegram.send(ctx, { kind: 'text', text: 'hi', part: 1, parts: 1, target })
		expect(wire.exchanges[0]?.url).toBe(`https://bots.example.net/tg/bot${TOKEN}/sendMessage`)
	})

	it('maps 429 to a retry after retry_after, 5xx to a retry, 400/403 to permanent; never shows the token', async () => {
		const replies: Reply[] = [
			botError(429, 'Too Many Requests: retry after 7', { parameters: { retry_after: 7 } }),
			botError(502, 'Bad Gateway'),
			botError(400, 'Bad Request: chat not found'),
			botError(403, 'Forbidden: bot was blocked by the user'),
			botError(401, 'Unauthorized'),
		]
		const wire = scriptedFetch((_, n) => replies[n - 1] as Reply)
		const ctx = context(CONFIG, wire.fetch)
		const results = []
		for (const _ of replies)
			results.push(await telegram.send(ctx, { kind: 'text', text: 'x', part: 1, parts: 1, target }))
		expect(results[0]).toMatchObject({ ok: false, retryAfterMs: 7000 })
		expect(results[0]).not.toHaveProperty('permanent')
		expect(results[1]).toMatchObject({ ok: false })
		expect(results[1]).not.toHaveProperty('permanent')
		expect(results[2]).toMatchObject({ ok: false, permanent: true })
		expect(results[2]?.ok === false && results[2].error).toContain('chat not found')
		expect(results[3]).toMatchObject({ ok: false, permanent: true })
		expect(results[4]).toMatchObject({ ok: false, permanent: true })
		for (const result of results) expect(JSON.stringify(result)).not.toContain(TOKEN)
	})

	it('reports a network failure as retryable, with the token masked out of the message', async () => {
		const ctx = context(CONFIG, async (input) => {
			throw new TypeError(`fetch failed for ${String(input)}`)
		})
		const result = await telegram.send(ctx, { kind: 'text', text: 'x', part: 1, parts: 1, target })
		expect(result).toMatchObject({ ok: false })
		expect(result).not.toHaveProperty('permanent')
		expect(result.ok === false && result.error).toContain('<bot token>')
		expect(JSON.stringify(result)).not.toContain(TOKEN)
	})

	it('masks the token out of a body that echoes the URL, before the error is cut to length', async () => {
		const secretHalf = TOKEN.slice(TOKEN.indexOf(':') + 1)
		const echoes = [
			// A misconfigured API base: an ordinary web server's 404.
			`<pre>Cannot POST /bot${TOKEN}/sendMessage</pre>`,
			// The token across the 200 characters the error keeps.
			`${'x'.repeat(170)} /bot${TOKEN}/sendMessage`,
			// A proxy that echoes the path percent-encoded.
			`upstream refused /bot${TOKEN.replace(':', '%3A')}/sendMessage`,
		]
		for (const echo of echoes) {
			const ctx = context(
				{ ...CONFIG, apiBase: 'https://bots.example.net' },
				async () => new Response(echo, { status: 404, headers: { 'content-type': 'text/html' } }),
			)
			const result = await telegram.send(ctx, {
				kind: 'text',
				text: 'x',
				part: 1,
				parts: 1,
				target,
			})
			expect(result).toMatchObject({ ok: false, permanent: true })
			const error = result.ok ? '' : result.error
			expect(error).toContain('HTTP 404')
			expect(error).not.toContain(secretHalf.slice(0, 8))
		}
		const whole = context(CONFIG, async () => new Response(echoes[0], { status: 404 }))
		const result = await telegram.send(whole, {
			kind: 'text',
			text: 'x',
			part: 1,
			parts: 1,
			target,
		})
		expect(result.ok === false && result.error).toContain('Cannot POST /bot<bot token>/sendMessage')
	})

	it('refuses a target without a chat, permanently, without calling Telegram', async () => {
		const wire = scriptedFetch(() => botOk({}))
		const result = await telegram.send(context(CONFIG, wire.fetch), {
			kind: 'text',
			text: 'x',
			part: 1,
			parts: 1,
			target: { channel: 'C1' },
		})
		expect(result).toMatchObject({ ok: false, permanent: true })
		expect(wire.exchanges).toHaveLength(0)
	})

	it('sends an approval as a message naming the tool with three buttons of ap:<id>:<choice>', async () => {
		const wire = scriptedFetch(() => botOk({ message_id: 77 }))
		const result = await telegram.send(context(CONFIG, wire.fetch), {
			kind: 'approval',
			approval: { id: APPROVAL_ID, tool: 'run_js', summary: 'Run 12 lines of JavaScript' },
			target: { chatId: 1111111, replyTo: 1365 },
		})
		expect(result).toEqual({ ok: true, messageId: '77' })
		const body = wire.exchanges[0]?.body as {
			text: string
			reply_markup: { inline_keyboard: { text: string; callback_data: string }[][] }
		}
		expect(body.text).toContain('run_js')
		expect(body.text).toContain('Run 12 lines of JavaScript')
		expect(body.reply_markup.inline_keyboard).toEqual([
			[
				{ text: 'Allow once', callback_data: `ap:${APPROVAL_ID}:once` },
				{ text: 'Always allow', callback_data: `ap:${APPROVAL_ID}:always` },
				{ text: 'Deny', callback_data: `ap:${APPROVAL_ID}:deny` },
			],
		])
		for (const button of body.reply_markup.inline_keyboard.flat())
			expect(new TextEncoder().encode(button.callback_data).byteLength).toBeLessThanOrEqual(64)
		// Every button parses back into the action it stands for.
		const pressed = parse(
			telegramCallbackQuery(body.reply_markup.inline_keyboard[0]?.[1]?.callback_data ?? ''),
		)
		expect(pressed.type === 'action' && pressed.action).toMatchObject({
			approvalId: APPROVAL_ID,
			choice: 'always',
		})
	})

	it('refuses an approval id too long for a button, permanently', async () => {
		const wire = scriptedFetch(() => botOk({}))
		const result = await telegram.send(context(CONFIG, wire.fetch), {
			kind: 'approval',
			approval: { id: 'x'.repeat(60), tool: 'run_js', summary: 's' },
			target: { chatId: 1 },
		})
		expect(result).toMatchObject({ ok: false, permanent: true })
		expect(wire.exchanges).toHaveLength(0)
	})

	it('splits a long reply into parts within 4096 characters', () => {
		const text = Array.from(
			{ length: 100 },
			(_, i) => `Paragraph ${i}. ${'word '.repeat(20)}`,
		).join('\n\n')
		const parts = telegram.chunk(text)
		expect(text.length).toBeGreaterThan(4096)
		expect(parts.length).toBeGreaterThan(1)
		for (const part of parts) expect(part.length).toBeLessThanOrEqual(4096)
		expect(telegram.textLimit).toBe(4096)
	})
})

describe('telegram typing and register', () => {
	it('sends the typing action to the chat and topic, and swallows failures', async () => {
		const wire = scriptedFetch(() => botError(400, 'Bad Request: chat not found'))
		const ctx = context(CONFIG, wire.fetch)
		await telegram.typing?.(ctx, { chatId: -1001234567890, threadId: 42, replyTo: 1 })
		expect(wire.exchanges[0]?.url).toBe(`https://api.telegram.org/bot${TOKEN}/sendChatAction`)
		expect(wire.exchanges[0]?.body).toEqual({
			chat_id: -1001234567890,
			action: 'typing',
			message_thread_id: 42,
		})
		const offline = context(CONFIG, async () => {
			throw new TypeError('network down')
		})
		await expect(telegram.typing?.(offline, { chatId: 1 })).resolves.toBeUndefined()
	})

	it('registers the webhook with the secret token and the updates it reads', async () => {
		const wire = scriptedFetch(() => botOk(true))
		const url = 'https://edgeclaw.example/hooks/default/tg'
		const registration = await telegram.register(context(CONFIG, wire.fetch), url)
		expect(registration).toEqual({ webhookUrl: url, registered: true })
		expect(wire.exchanges[0]?.url).toBe(`https://api.telegram.org/bot${TOKEN}/setWebhook`)
		expect(wire.exchanges[0]?.body).toEqual({
			url,
			secret_token: WEBHOOK_SECRET,
			allowed_updates: ['message', 'channel_post', 'callback_query'],
			drop_pending_updates: false,
		})
	})

	it("throws Telegram's description when it refuses, never the token", async () => {
		const refused = scriptedFetch(() =>
			botError(400, 'Bad Request: bad webhook: HTTPS url must be provided for webhook'),
		)
		const error = await telegram
			.register(context(CONFIG, refused.fetch), 'http://insecure.example/hook')
			.catch((e: Error) => e)
		expect(error).toBeInstanceOf(Error)
		expect((error as Error).message).toContain('HTTPS url must be provided')
		expect((error as Error).message).not.toContain(TOKEN)
		const notOk = scriptedFetch(() => ({
			status: 200,
			headers: {},
			body: { ok: false, description: 'Webhook was not set' },
		}))
		await expect(
			telegram.register(context(CONFIG, notOk.fetch), 'https://x.example/h'),
		).rejects.toThrow('Webhook was not set')
		const unauthorized = scriptedFetch(() => botError(401, 'Unauthorized'))
		await expect(
			telegram.register(context(CONFIG, unauthorized.fetch), 'https://x.example/h'),
		).rejects.toThrow('Unauthorized')
	})

	it('masks the token out of a refusal that echoes it, before the message is cut to length', async () => {
		const echo = `Not Found: ${'x'.repeat(260)} /bot${TOKEN}/setWebhook`
		const refused = scriptedFetch(() => botError(404, echo))
		const error = await telegram
			.register(context(CONFIG, refused.fetch), 'https://x.example/h')
			.catch((e: Error) => e)
		expect((error as Error).message).toContain('Not Found')
		expect((error as Error).message).not.toContain(TOKEN.slice(TOKEN.indexOf(':') + 1, 20))
	})

	it('refuses a webhook secret Telegram would not accept before calling it', async () => {
		const wire = scriptedFetch(() => botOk(true))
		const ctx = pluginContext(telegram, CONFIG, {
			secrets: { TG_BOT_TOKEN: TOKEN, TG_WEBHOOK_SECRET: 'has spaces and ü' },
			fetch: wire.fetch,
		})
		await expect(telegram.register(ctx, 'https://x.example/h')).rejects.toThrow('webhook secret')
		expect(wire.exchanges).toHaveLength(0)
	})
})
