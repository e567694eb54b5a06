// Telegram end to end over real sockets: `wrangler dev` (setup.ts) and a fake Bot API on loopback
// (bench/fake-telegram.mjs). setWebhook on register; a signed update in, `sendMessage` out.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FakeTelegram, startFakeTelegram, telegramUpdate } from '../../bench/fake-telegram.mjs'
import { ADMIN_TOKEN } from '../admin-token.js'
import { STATE_WAIT_MS } from '../timeouts.js'

const baseUrl = inject('baseUrl')
const CHANNEL = 'contract-tg'
const BOT_TOKEN = '424242:contract-bot-token'
const WEBHOOK_SECRET = 'contract_hook-secret_0123456789'
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

let telegram: FakeTelegram

const api = (path: string, init: RequestInit = {}) =>
	fetch(`${baseUrl}${path}`, { ...init, headers: { ...admin, ...init.headers } })

let nextUpdate = 900_000
/** A private-chat text update from `chat`, with a fresh update_id. */
const update = (text: string, chat: number) => telegramUpdate(nextUpdate++, chat, text)

const hook = (body: unknown, secret = WEBHOOK_SECRET) =>
	fetch(`${baseUrl}/hooks/default/${CHANNEL}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
		body: JSON.stringify(body),
	})

/** The texts sent to a chat so far, in order of arrival. */
const sentTo = (chat: number) =>
	telegram.calls
		.filter((c) => c.method === 'sendMessage' && c.body.chat_id === chat)
		.map((c) => c.body.text)

const replyTo = (chat: number, text: string) =>
	telegram.waitFor(
		(c) => c.method === 'sendMessage' && c.body.chat_id === chat && c.body.text === text,
		STATE_WAIT_MS,
	)

const session = async (chat: number) => {
	const res = await api(`/v1/sessions/${CHANNEL}:dm:${chat}`)
	expect(res.status).toBe(200)
	return (await res.json()) as { runs: { total: number }; activeRunId: string | null }
}

beforeAll(async () => {
	telegram = await startFakeTelegram()
	for (const [name, value] of [
		['CONTRACT_TG_TOKEN', BOT_TOKEN],
		['CONTRACT_TG_SECRET', WEBHOOK_SECRET],
	]) {
		const res = await api(`/v1/secrets/${name}`, { method: 'PUT', body: JSON.stringify({ value }) })
		expect(res.status, await res.text()).toBe(201)
	}
	const created = await api('/v1/channels', {
		method: 'POST',
		body: JSON.stringify({
			id: CHANNEL,
			kind: 'telegram',
			agent: 'main',
			config: {
				secrets: { botToken: 'CONTRACT_TG_TOKEN', webhookSecret: 'CONTRACT_TG_SECRET' },
				apiBase: telegram.baseURL,
				dmPolicy: 'open',
			},
		}),
	})
	expect(created.status, await created.clone().text()).toBe(201)
})

afterAll(() => telegram?.stop())

describe('telegram channel against wrangler dev', () => {
	it('register: setWebhook with the hook URL and the secret token', async () => {
		const res = await api(`/v1/channels/${CHANNEL}/register`, { method: 'POST' })
		expect(res.status, await res.clone().text()).toBe(200)
		const registration = (await res.json()) as { webhookUrl: string; registered: boolean }
		expect(registration.registered).toBe(true)
		expect(registration.webhookUrl).toMatch(new RegExp(`/hooks/default/${CHANNEL}$`))
		const call = await telegram.waitFor((c) => c.method === 'setWebhook', STATE_WAIT_MS)
		expect(call.token).toBe(BOT_TOKEN)
		expect(call.body.url).toBe(registration.webhookUrl)
		expect(call.body.secret_token).toBe(WEBHOOK_SECRET)
	})

	it('a signed update: 200 {}, then sendMessage with the answer to that chat', async () => {
		const res = await hook(update('hello from telegram', 7001))
		expect(res.status).toBe(200)
		expect(await res.json()).toEqual({})
		const sent = await replyTo(7001, 'echo: hello from telegram')
		expect(sent.token).toBe(BOT_TOKEN)
		expect(sentTo(7001)).toEqual(['echo: hello from telegram'])
	})

	it('acks before the run ends: 200 while a 60 s run is still going', async () => {
		const res = await hook(update('/slow 60000 held', 7002))
		expect(res.status).toBe(200)
		// The ack came back; the run it admitted is still running, so nothing was sent yet.
		let active: string | null = null
		await expect
			.poll(
				async () => {
					active = (await session(7002)).activeRunId
					return active
				},
				{ timeout: STATE_WAIT_MS },
			)
			.toBeTypeOf('string')
		expect(sentTo(7002)).toEqual([])
		const cancelled = await api(`/v1/sessions/${CHANNEL}:dm:7002/runs/${active}/cancel`, {
			method: 'POST',
		})
		expect(cancelled.status).toBe(200)
	})

	it('a bad secret: 401 problem+json, nothing reaches the agent', async () => {
		const res = await hook(update('forged', 7003), 'not-the-secret')
		expect(res.status).toBe(401)
		expect(res.headers.get('content-type')).toBe('application/problem+json')
		expect(await res.json()).toMatchObject({ status: 401, code: 'unauthorized' })
		expect((await api(`/v1/sessions/${CHANNEL}:dm:7003`)).status).toBe(404)
		expect(sentTo(7003)).toEqual([])
	})

	it('the same update twice: one run, one sendMessage', async () => {
		const twice = update('only once', 7004)
		expect((await hook(twice)).status).toBe(200)
		expect((await hook(twice)).status).toBe(200)
		// A later message of the same chat is answered after anything the first could cause.
		expect((await hook(update('after', 7004))).status).toBe(200)
		await replyTo(7004, 'echo: after')
		expect(sentTo(7004)).toEqual(['echo: only once', 'echo: after'])
		expect((await session(7004)).runs.total).toBe(2)
	})
})
