// The Discord plugin called directly: normalising commands and button presses (payloads shaped as
// in Discord's documentation), the interaction responses, and sending replies through the
// interaction webhook against a recording fetch. Verification is in discord-verify.test.ts.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type DiscordConfig, discord } from '../../src/channels/discord'
import {
	type ChannelContext,
	type Inbound,
	InboundInvalid,
	type InboundOutcome,
	type RawInbound,
} from '../../src/channels/plugin'
import { bytesOf, channelContext } from '../fakes/channel-context'
import {
	APPLICATION_ID,
	APPROVAL_PRESS,
	CHANNEL_ID,
	DM_COMMAND,
	GUILD_COMMAND,
	GUILD_ID,
	PING,
	USER_ID,
} from '../fakes/channel-payloads-discord'

const HOOK = new URL('https://edgeclaw.example/hooks/acme/ch1')

const fake = (over: Record<string, unknown> = {}, secrets: Record<string, string> = {}) =>
	channelContext(
		discord,
		{ applicationId: APPLICATION_ID, publicKey: 'ab'.repeat(32), ...over },
		{ now: 1_760_000_000_000, secrets },
	)

const raw = (body: string | Uint8Array, headers: HeadersInit = {}): RawInbound => ({
	url: HOOK,
	headers: new Headers(headers),
	body: typeof body === 'string' ? bytesOf(body) : body,
})

const parsed = (ctx: ChannelContext<DiscordConfig>, payload: unknown): Inbound =>
	discord.parse(ctx, raw(JSON.stringify(payload)))

describe('parse', () => {
	/** What a command and a button press in the server channel both carry. */
	const inServer = (id: string) => ({
		eventId: id,
		dedupeKey: `interaction:${id}`,
		peer: { kind: 'channel', id: CHANNEL_ID },
		sender: { id: USER_ID, name: 'Mason' },
		space: GUILD_ID,
	})

	it('answers PING with PONG by itself', async () => {
		const inbound = parsed(fake().ctx, PING)
		expect(inbound.type).toBe('respond')
		if (inbound.type !== 'respond') return
		expect(inbound.response.headers.get('content-type')).toContain('application/json')
		expect(await inbound.response.json()).toEqual({ type: 1 })
		expect(discord.respond(fake().ctx, inbound, { kind: 'dropped', reason: 'x' })).toBe(
			inbound.response,
		)
	})

	it('reads a server slash command as a message in the channel, from the member', () => {
		expect(parsed(fake().ctx, GUILD_COMMAND)).toEqual({
			type: 'message',
			envelope: {
				...inServer(GUILD_COMMAND.id),
				text: 'What is the capital of France?',
				attachments: [],
				mentioned: true,
				reply: { applicationId: APPLICATION_ID, token: GUILD_COMMAND.token, channelId: CHANNEL_ID },
			},
		})
	})

	it('reads a DM command as a DM with its user, the first string option as the text', () => {
		const inbound = parsed(fake().ctx, DM_COMMAND)
		expect(inbound.type).toBe('message')
		if (inbound.type !== 'message') return
		expect(inbound.envelope.peer).toEqual({ kind: 'dm', id: USER_ID })
		expect(inbound.envelope.sender).toEqual({ id: USER_ID, name: 'mason' })
		expect(inbound.envelope.space).toBeUndefined()
		expect(inbound.envelope.text).toBe('The Gitrog Monster')
	})

	it('finds the text in a subcommand, prefers a message-like name, and falls back to /name', () => {
		const text = (options: unknown[], name = 'agent') => {
			const inbound = parsed(fake().ctx, { ...GUILD_COMMAND, data: { name, type: 1, options } })
			return inbound.type === 'message' ? inbound.envelope.text : inbound.type
		}
		const sub = { type: 1, name: 'run', options: [{ type: 3, name: 'prompt', value: 'deep' }] }
		expect(text([{ type: 2, name: 'group', options: [sub] }])).toBe('deep')
		expect(
			text([
				{ type: 3, name: 'topic', value: 'a' },
				{ type: 3, name: 'text', value: 'b' },
			]),
		).toBe('b')
		expect(text([{ type: 4, name: 'count', value: 3 }], 'reset')).toBe('/reset')
		expect(text([])).toBe('/agent')
	})

	it('reads an approval button press as an action; other buttons and types are ignored', () => {
		const { ctx } = fake()
		expect(parsed(ctx, APPROVAL_PRESS)).toEqual({
			type: 'action',
			action: {
				...inServer(APPROVAL_PRESS.id),
				approvalId: 'apr-1',
				choice: 'always',
				reply: {
					applicationId: APPLICATION_ID,
					token: APPROVAL_PRESS.token,
					channelId: CHANNEL_ID,
					component: true,
				},
			},
		})
		for (const custom_id of ['ap:apr-1:maybe', 'vote:1', 'ap::once', 'ap:a b:once'])
			expect(parsed(ctx, { ...APPROVAL_PRESS, data: { custom_id, component_type: 2 } }).type).toBe(
				'ignore',
			)
		expect(parsed(ctx, { ...GUILD_COMMAND, type: 5 }).type).toBe('ignore')
		expect(parsed(ctx, { ...GUILD_COMMAND, data: { name: 'Report', type: 3 } }).type).toBe('ignore')
	})

	it('answers autocomplete with no choices', async () => {
		const inbound = parsed(fake().ctx, { ...GUILD_COMMAND, type: 4 })
		expect(inbound.type).toBe('respond')
		if (inbound.type === 'respond')
			expect(await inbound.response.json()).toEqual({ type: 8, data: { choices: [] } })
	})

	it('refuses a body that is not JSON or not a usable interaction, saying what is wrong', () => {
		const { ctx } = fake()
		const cases: [string | Uint8Array, RegExp][] = [
			['{"type":', /the body is not JSON/],
			[new Uint8Array([0xff, 0xfe, 0x7b]), /the body is not UTF-8/],
			['[]', /^a Discord interaction: /],
			[JSON.stringify({ ...GUILD_COMMAND, id: 'x' }), /id: is not a snowflake/],
			[JSON.stringify({ ...GUILD_COMMAND, member: undefined }), /names no user/],
			[JSON.stringify({ ...GUILD_COMMAND, token: undefined }), /no token/],
			[JSON.stringify({ ...GUILD_COMMAND, channel_id: undefined }), /names no channel/],
		]
		for (const [body, message] of cases) {
			const attempt = () => discord.parse(ctx, raw(body))
			expect(attempt).toThrow(InboundInvalid)
			expect(attempt).toThrow(message)
		}
	})
})

describe('respond', () => {
	const accepted: InboundOutcome = { kind: 'accepted', runId: 'r1', duplicate: false }
	const answered = (
		output: string | null,
		error: { code: string; message: string } | null = null,
	) =>
		({
			kind: 'answered',
			runId: 'r1',
			status: output ? 'succeeded' : 'failed',
			output,
			error,
		}) as const

	const body = async (inbound: Inbound, outcome: InboundOutcome) => {
		const response = discord.respond(fake().ctx, inbound, outcome)
		expect(response.status).toBe(200)
		expect(response.headers.get('content-type')).toContain('application/json')
		return response.json()
	}

	it('defers a command the agent took, and answers a drop ephemerally', async () => {
		const command = parsed(fake().ctx, GUILD_COMMAND)
		expect(await body(command, accepted)).toEqual({ type: 5 })
		expect(await body(command, { kind: 'dropped', reason: 'Pairing code: ABCD2345' })).toEqual({
			type: 4,
			data: { content: 'Pairing code: ABCD2345', flags: 64, allowed_mentions: { parse: [] } },
		})
	})

	it('answers in place when the answer fits 2000 chars, and defers when it does not', async () => {
		const command = parsed(fake().ctx, GUILD_COMMAND)
		expect(await body(command, answered('Paris. @everyone'))).toEqual({
			type: 4,
			data: { content: 'Paris. @everyone', allowed_mentions: { parse: [] } },
		})
		expect(await body(command, answered('x'.repeat(2001)))).toEqual({ type: 5 })
		expect(
			await body(command, answered(null, { code: 'timeout', message: 'took too long' })),
		).toEqual({
			type: 4,
			data: {
				content: 'The agent could not answer: took too long',
				allowed_mentions: { parse: [] },
			},
		})
	})

	it('acknowledges a button press silently, or ephemerally when it was dropped', async () => {
		const press = parsed(fake().ctx, APPROVAL_PRESS)
		expect(await body(press, accepted)).toEqual({ type: 6 })
		expect(
			await body(press, { kind: 'dropped', reason: 'You may not decide this.' }),
		).toMatchObject({
			type: 4,
			data: { content: 'You may not decide this.', flags: 64 },
		})
	})
})

describe('send', () => {
	const target = { applicationId: APPLICATION_ID, token: 'tok/en', channelId: CHANNEL_ID }
	const base = 'https://discord.com/api/v10'
	const webhookPath = `${base}/webhooks/${APPLICATION_ID}/tok%2Fen`

	it('edits the deferred message with part 1 and sends parts 2..n as follow-ups, mentioning nobody', async () => {
		const { ctx, calls, answer } = fake()
		const parts = discord.chunk(`${'a'.repeat(1500)}\n\n${'b'.repeat(1500)}\n\n${'c'.repeat(1500)}`)
		expect(parts).toHaveLength(3)
		expect(parts.every((p) => p.length <= discord.textLimit)).toBe(true)
		answer(
			Response.json({ id: '111' }),
			Response.json({ id: '112' }),
			new Response(null, { status: 204 }),
		)
		const results = []
		for (const [i, text] of parts.entries())
			results.push(
				await discord.send(ctx, { kind: 'text', text, part: i + 1, parts: parts.length, target }),
			)
		expect(results).toEqual([
			{ ok: true, messageId: '111' },
			{ ok: true, messageId: '112' },
			{ ok: true },
		])
		expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
			`PATCH ${webhookPath}/messages/@original`,
			`POST ${webhookPath}`,
			`POST ${webhookPath}`,
		])
		for (const [i, call] of calls.entries()) {
			expect(call.headers.get('content-type')).toBe('application/json')
			expect(call.headers.get('authorization')).toBeNull()
			expect(JSON.parse(call.body)).toEqual({ content: parts[i], allowed_mentions: { parse: [] } })
		}
	})

	it('answers a button press with follow-ups only, never editing the prompt', async () => {
		const { ctx, calls, answer } = fake()
		answer(Response.json({ id: '1' }))
		await discord.send(ctx, {
			kind: 'text',
			text: 'approved',
			part: 1,
			parts: 1,
			target: { ...target, component: true },
		})
		expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`POST ${webhookPath}`])
	})

	it('sends an approval prompt as a follow-up with three buttons', async () => {
		const { ctx, calls, answer } = fake({ apiBase: 'https://discord.test/api/' })
		answer(Response.json({ id: '9' }))
		const result = await discord.send(ctx, {
			kind: 'approval',
			approval: { id: 'apr-7', tool: 'shell', summary: 'rm -rf build @everyone' },
			target,
		})
		expect(result).toEqual({ ok: true, messageId: '9' })
		expect(calls[0]?.method).toBe('POST')
		expect(calls[0]?.url).toBe(`https://discord.test/api/webhooks/${APPLICATION_ID}/tok%2Fen`)
		const sent = JSON.parse(calls[0]?.body ?? '{}')
		expect(sent.content).toContain('shell')
		expect(sent.content).toContain('rm -rf build')
		expect(sent.allowed_mentions).toEqual({ parse: [] })
		expect(sent.components).toEqual([
			{
				type: 1,
				components: [
					{ type: 2, style: 3, label: 'Allow once', custom_id: 'ap:apr-7:once' },
					{ type: 2, style: 1, label: 'Always allow', custom_id: 'ap:apr-7:always' },
					{ type: 2, style: 4, label: 'Deny', custom_id: 'ap:apr-7:deny' },
				],
			},
		])
		// A press of any of them comes back as the action for that choice.
		for (const button of sent.components[0].components) {
			const inbound = parsed(ctx, { ...APPROVAL_PRESS, data: { custom_id: button.custom_id } })
			expect(inbound.type === 'action' && inbound.action.approvalId).toBe('apr-7')
		}
	})

	it('honours a 429 retry_after, and gives up on an expired token (404) or a bad target', async () => {
		const { ctx, answer } = fake()
		const text = { kind: 'text', text: 'hi', part: 2, parts: 2, target } as const
		answer(
			Response.json(
				{ message: 'You are being rate limited.', retry_after: 1.5, global: false },
				{ status: 429 },
			),
			Response.json({ message: 'Unknown Webhook', code: 10015 }, { status: 404 }),
			new Response('bad gateway', { status: 502 }),
			new TypeError('connection reset'),
		)
		expect(await discord.send(ctx, text)).toMatchObject({ ok: false, retryAfterMs: 1500 })
		const expired = await discord.send(ctx, text)
		expect(expired).toMatchObject({ ok: false, permanent: true })
		expect(expired.ok === false && expired.error).toContain('Unknown Webhook')
		expect(await discord.send(ctx, text)).toMatchObject({ ok: false })
		expect((await discord.send(ctx, text)) as object).not.toHaveProperty('permanent')
		expect(await discord.send(ctx, { ...text, target: { chat: 1 } })).toMatchObject({
			ok: false,
			permanent: true,
		})
	})
})

describe('register', () => {
	const hook = 'https://edgeclaw.example/hooks/acme/ch1'

	it('explains the endpoint URL and the command when there is no bot token', async () => {
		const { ctx, calls } = fake()
		const registration = await discord.register(ctx, hook)
		expect(registration.registered).toBe(false)
		expect(registration.webhookUrl).toBe(hook)
		expect(registration.instructions).toContain(`Interactions Endpoint URL to ${hook}`)
		expect(registration.instructions).toContain('/ask message:<text>')
		expect(calls).toEqual([])
	})

	it('creates the /ask command with the bot token when one is configured', async () => {
		const { ctx, calls, answer } = fake(
			{ secrets: { botToken: 'DISCORD_BOT' } },
			{ DISCORD_BOT: 'bot-secret' },
		)
		answer(Response.json({ id: '1', name: 'ask' }, { status: 201 }))
		const registration = await discord.register(ctx, hook)
		expect(registration.registered).toBe(false)
		expect(registration.instructions).toContain('was registered through the Discord API')
		expect(registration.instructions).not.toContain('bot-secret')
		expect(calls[0]?.method).toBe('POST')
		expect(calls[0]?.url).toBe(
			`https://discord.com/api/v10/applications/${APPLICATION_ID}/commands`,
		)
		expect(calls[0]?.headers.get('authorization')).toBe('Bot bot-secret')
		expect(JSON.parse(calls[0]?.body ?? '{}')).toMatchObject({
			name: 'ask',
			options: [{ type: 3, name: 'message', required: true }],
		})
	})

	it('reports a failed command registration instead of throwing', async () => {
		const { ctx, answer } = fake({ secrets: { botToken: 'DISCORD_BOT' } }, { DISCORD_BOT: 'bad' })
		answer(Response.json({ message: '401: Unauthorized', code: 0 }, { status: 401 }))
		expect((await discord.register(ctx, hook)).instructions).toMatch(/failed \(.*HTTP 401/)
		const unreadable = fake({ secrets: { botToken: 'MISSING' } })
		expect((await discord.register(unreadable.ctx, hook)).instructions).toContain('cannot be read')
	})
})

describe('properties', () => {
	const json = fc.jsonValue().map((v) => JSON.stringify(v))
	const interactionLike = fc.record(
		{
			id: fc.oneof(fc.stringMatching(/^\d{1,20}$/), fc.string()),
			type: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.jsonValue()),
			token: fc.oneof(fc.string(), fc.jsonValue()),
			guild_id: fc.stringMatching(/^\d{1,5}$/),
			channel_id: fc.stringMatching(/^\d{1,5}$/),
			user: fc.oneof(
				fc.record({ id: fc.stringMatching(/^\d{1,5}$/), username: fc.string() }),
				fc.jsonValue(),
			),
			data: fc.jsonValue(),
		},
		{ requiredKeys: [] },
	)

	it('parse only ever throws InboundInvalid', () => {
		const { ctx } = fake()
		fc.assert(
			fc.property(
				fc.oneof(
					fc.uint8Array({ maxLength: 200 }),
					json,
					interactionLike.map((v) => JSON.stringify(v)),
				),
				(body) => {
					try {
						discord.parse(ctx, raw(body))
					} catch (error) {
						expect(error).toBeInstanceOf(InboundInvalid)
					}
				},
			),
		)
	})
})
