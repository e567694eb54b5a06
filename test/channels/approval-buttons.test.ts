// Approvals as every channel writes and reads them: one approval-id shape (today's UUIDs fit, an id
// a Telegram button could not hold fits nowhere), one `ap:<id>:<choice>` format, one set of labels.
import { describe, expect, it } from 'vitest'
import { APPROVAL_BUTTONS, approvalButtonData } from '../../src/channels/approval-buttons'
import { discord } from '../../src/channels/discord'
import type { Inbound, Outbound } from '../../src/channels/plugin'
import { approvalCommand } from '../../src/channels/routing'
import { slack } from '../../src/channels/slack'
import { telegram } from '../../src/channels/telegram'
import { webhook } from '../../src/channels/webhook'
import { pluginContext, rawInbound } from '../fakes/channel-context'
import {
	slackBlockActions,
	slackInteractionForm,
	telegramCallbackQuery,
} from '../fakes/channel-payloads'
import { APPLICATION_ID, APPROVAL_PRESS } from '../fakes/channel-payloads-discord'

/** A button as the channel shows it: its label and the data a press sends back. */
interface Button {
	label: string
	data?: string
}

/** A fetch that records each JSON body it is sent and answers `answer`. */
function recording(answer: unknown) {
	const bodies: Record<string, unknown>[] = []
	const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
		bodies.push(JSON.parse(String(init?.body)))
		return Response.json(answer)
	}) as typeof globalThis.fetch
	return { fetch, bodies }
}

const approval = (id: string) => ({ id, tool: 'run_js', summary: 'Run 3 lines' })

/** Each channel: send an approval prompt, and read back the buttons it showed. */
const CHANNELS = {
	async telegram(id: string) {
		const wire = recording({ ok: true, result: { message_id: 1 } })
		const ctx = pluginContext(
			telegram,
			{ secrets: { botToken: 'TG_TOKEN', webhookSecret: 'TG_SECRET' } },
			{ secrets: { TG_TOKEN: '123:abc', TG_SECRET: 's' }, fetch: wire.fetch },
		)
		const sent = await telegram.send(ctx, prompt(id, { chatId: 1 }))
		const body = wire.bodies[0] as
			| { reply_markup: { inline_keyboard: { text: string; callback_data: string }[][] } }
			| undefined
		const row = body?.reply_markup.inline_keyboard[0]
		return { sent, buttons: row?.map((b): Button => ({ label: b.text, data: b.callback_data })) }
	},
	async slack(id: string) {
		const wire = recording({ ok: true, ts: '1.1' })
		const ctx = pluginContext(
			slack,
			{ secrets: { botToken: 'SL_TOKEN', signingSecret: 'SL_SIGNING' } },
			{ secrets: { SL_TOKEN: 'xoxb-1', SL_SIGNING: 's' }, fetch: wire.fetch },
		)
		const sent = await slack.send(ctx, prompt(id, { channel: 'C1' }))
		const body = wire.bodies[0] as
			| { blocks: { elements?: { text: { text: string }; action_id: string }[] }[] }
			| undefined
		const row = body?.blocks[1]?.elements
		return { sent, buttons: row?.map((b): Button => ({ label: b.text.text, data: b.action_id })) }
	},
	async discord(id: string) {
		const wire = recording({ id: '9' })
		const ctx = pluginContext(
			discord,
			{ applicationId: APPLICATION_ID, publicKey: 'ab'.repeat(32) },
			{ fetch: wire.fetch },
		)
		const sent = await discord.send(ctx, prompt(id, { applicationId: APPLICATION_ID, token: 't' }))
		const body = wire.bodies[0] as
			| { components: { components: { label: string; custom_id: string }[] }[] }
			| undefined
		const row = body?.components[0]?.components
		return { sent, buttons: row?.map((b): Button => ({ label: b.label, data: b.custom_id })) }
	},
	async webhook(id: string) {
		const wire = recording({})
		const ctx = pluginContext(
			webhook,
			{ secrets: { signingSecret: 'WH_SIGNING' }, callbackUrl: 'https://app.example/r' },
			{ secrets: { WH_SIGNING: 'whsec_c2lnbmluZy1zZWNyZXQ=' }, fetch: wire.fetch },
		)
		const target = { peer: { kind: 'dm', id: 'u1' }, sender: { id: 'u1' }, eventId: 'msg_1' }
		const sent = await webhook.send(ctx, prompt(id, target))
		const body = wire.bodies[0] as { actions: { choice: string; label: string }[] } | undefined
		// A webhook caller answers with the choice itself: the data is the button it stands for.
		const row = body?.actions
		return {
			sent,
			buttons: row?.map((a): Button => ({ label: a.label, data: `ap:${id}:${a.choice}` })),
		}
	},
}

const prompt = (id: string, target: Record<string, unknown>): Outbound => ({
	kind: 'approval',
	approval: approval(id),
	target,
})

/** Each channel: what a press (or a webhook decision) of `deny` on approval `id` is read as. */
const READERS: Record<string, (approvalId: string) => Inbound | Error> = {
	telegram: (id) =>
		telegram.parse(
			telegramCtx(),
			rawInbound(JSON.stringify(telegramCallbackQuery(`ap:${id}:deny`))),
		),
	slack: (id) =>
		slack.parse(
			slackCtx(),
			rawInbound(slackInteractionForm(slackBlockActions(`ap:${id}:deny`)), {
				'content-type': 'application/x-www-form-urlencoded',
			}),
		),
	discord: (id) =>
		discord.parse(
			discordCtx(),
			rawInbound(
				JSON.stringify({
					...APPROVAL_PRESS,
					data: { custom_id: `ap:${id}:deny`, component_type: 2 },
				}),
			),
		),
	webhook: (id) => {
		const body = JSON.stringify({
			action: { approvalId: id, choice: 'deny' },
			sender: { id: 'u1' },
		})
		try {
			return webhook.parse(webhookCtx(), rawInbound(body, { 'webhook-id': 'msg_1' }))
		} catch (error) {
			return error as Error
		}
	},
}

const telegramCtx = () =>
	pluginContext(telegram, { secrets: { botToken: 'A', webhookSecret: 'B' } })
const slackCtx = () => pluginContext(slack, { secrets: { botToken: 'A', signingSecret: 'B' } })
const discordCtx = () =>
	pluginContext(discord, { applicationId: APPLICATION_ID, publicKey: 'ab'.repeat(32) })
const webhookCtx = () => pluginContext(webhook, { secrets: { signingSecret: 'A' } })

const UUID = '3f1c2a9e-0b7d-4c8e-9a51-5d2f6e7a8b90'
/** "ap:" + this + ":always" is 65 bytes: more than Telegram's callback_data holds. */
const TOO_LONG = 'a'.repeat(55)

describe('approval buttons, alike on every channel', () => {
	it('show the same three labels with ap:<id>:<choice> data, a UUID id fitting a Telegram button', async () => {
		const expected = APPROVAL_BUTTONS.map(({ choice, label }) => ({
			label,
			data: approvalButtonData(UUID, choice),
		}))
		expect(expected.map((b) => b.label)).toEqual(['Allow once', 'Always allow', 'Deny'])
		for (const [name, send] of Object.entries(CHANNELS)) {
			const { sent, buttons } = await send(UUID)
			expect(sent, name).toMatchObject({ ok: true })
			expect(buttons, name).toEqual(expected)
		}
		for (const { data } of expected)
			expect(new TextEncoder().encode(data).byteLength).toBeLessThanOrEqual(64)
	})

	it('read a press of a UUID approval as that approval on every channel, and as a text command', () => {
		for (const [name, read] of Object.entries(READERS)) {
			const inbound = read(UUID)
			expect(inbound, name).toMatchObject({
				type: 'action',
				action: { approvalId: UUID, choice: 'deny' },
			})
		}
		expect(approvalCommand(`/deny ${UUID}`)).toEqual({ approvalId: UUID, choice: 'deny' })
	})

	it('refuse an id a Telegram button could not carry everywhere: no prompt, no press, no command', async () => {
		for (const [name, send] of Object.entries(CHANNELS)) {
			const { sent, buttons } = await send(TOO_LONG)
			if (name === 'webhook') continue // no button to fit: the id travels in a JSON body
			expect(sent, name).toMatchObject({ ok: false, permanent: true })
			expect(buttons, name).toBeUndefined()
		}
		for (const [name, read] of Object.entries(READERS)) {
			const inbound = read(TOO_LONG)
			expect(inbound instanceof Error || inbound.type === 'ignore', name).toBe(true)
		}
		expect(approvalCommand(`/approve ${TOO_LONG}`)).toBeUndefined()
	})

	it('read the text command with the same id shape as the buttons', () => {
		expect(approvalCommand('/approve apr_7-x always')).toEqual({
			approvalId: 'apr_7-x',
			choice: 'always',
		})
		expect(approvalCommand(`/approve ${UUID} once`)).toEqual({ approvalId: UUID, choice: 'once' })
		expect(approvalCommand('/approve a.b')).toBeUndefined()
	})
})
