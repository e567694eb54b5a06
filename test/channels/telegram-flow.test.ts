// Telegram end to end inside workerd: a signed update in through POST /hooks/…, the agent's answer
// out through the lane's outbox to a fake Bot API — dedupe, pairing, chunking, 429s, restarts.
import { abortAllDurableObjects, env, runDurableObjectAlarm } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { laneName } from '../../src/lanes/name'
import { telegramCallbackQuery } from '../fakes/channel-payloads'
import { FakePlatforms } from '../fakes/platforms'
import { admin, call, eventually, problem } from '../helpers'
import {
	approvalsOf,
	auditActions,
	finishedRuns,
	pendingApproval,
	prepareTenant,
} from './flow-setup'

const TENANT = 'tg-flow'
const SECRET = 'hook-secret-0123456789'
const platforms = FakePlatforms.install()

const headers = { 'content-type': 'application/json', 'x-edgeclaw-tenant': TENANT }

async function channel(
	id: string,
	config: Record<string, unknown> = {},
	agent = 'main',
): Promise<void> {
	const res = await admin('/v1/channels', {
		method: 'POST',
		headers,
		body: JSON.stringify({
			id,
			kind: 'telegram',
			agent,
			config: {
				secrets: { botToken: 'TG_TOKEN', webhookSecret: 'TG_SECRET' },
				apiBase: `https://${id}.platform.test`,
				dmPolicy: 'open',
				...config,
			},
		}),
	})
	expect(res.status, await res.clone().text()).toBe(201)
}

let nextUpdate = 50_000
/** A private-chat text update from `from` (a fresh update_id unless one is given). */
function update(text: string, from = 4242, updateId = nextUpdate++) {
	return {
		update_id: updateId,
		message: {
			message_id: updateId,
			date: 1_700_000_000,
			chat: { id: from, first_name: 'Ada', type: 'private' },
			from: { id: from, is_bot: false, first_name: 'Ada' },
			text,
		},
	}
}

const post = (channelId: string, body: unknown, secret = SECRET, tenantId = TENANT) =>
	call(`/hooks/${tenantId}/${channelId}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
		body: JSON.stringify(body),
	})

/** The texts the fake Bot API got for a chat, in order of arrival. */
const sentTo = (channelId: string, chatId: number) =>
	platforms
		.sent(`/sendMessage`, (j) => j.chat_id === chatId)
		.filter((c) => c.url.hostname === `${channelId}.platform.test`)
		.map((c) => c.json?.text as string)

const lane = (sessionKey: string, agentId = 'main') =>
	env.SESSION_LANE.getByName(laneName({ tenantId: TENANT, agentId, sessionKey }))

beforeAll(async () => {
	await prepareTenant(TENANT, { TG_TOKEN: '123456:ABC-test-token', TG_SECRET: SECRET })
})

describe('telegram end to end', () => {
	it('answers a signed update through the Bot API, addressed to the chat', async () => {
		await channel('tg-basic')
		const res = await post('tg-basic', update('hello there', 1001))
		expect(res.status).toBe(200)
		expect(await res.json()).toEqual({})
		const texts = await eventually(async () => {
			const t = sentTo('tg-basic', 1001)
			return t.length > 0 ? t : undefined
		})
		expect(texts).toEqual(['echo: hello there'])
		const [sent] = platforms.sent('/sendMessage', (j) => j.chat_id === 1001)
		expect(sent?.url.pathname).toBe('/bot123456:ABC-test-token/sendMessage')
	})

	it('takes the same update five times as one run and one reply', async () => {
		await channel('tg-dedupe')
		const body = update('only once', 1002)
		const answers = await Promise.all(Array.from({ length: 5 }, () => post('tg-dedupe', body)))
		for (const a of answers) expect(a.status).toBe(200)
		await eventually(async () => (sentTo('tg-dedupe', 1002).length > 0 ? true : undefined))
		// Later retries still change nothing.
		expect((await post('tg-dedupe', body)).status).toBe(200)
		const info = await lane('tg-dedupe:dm:1002').info()
		expect(info.ok && info.value.runs.total).toBe(1)
		await eventually(async () => {
			const runs = await lane('tg-dedupe:dm:1002').listRuns(0, 10)
			return runs.ok && runs.value.runs.every((r) => r.status === 'succeeded') ? true : undefined
		})
		expect(sentTo('tg-dedupe', 1002)).toEqual(['echo: only once'])
	})

	it('refuses a bad secret and an unknown channel alike: 401, the same problem', async () => {
		await channel('tg-auth')
		const bad = await post('tg-auth', update('x'), 'wrong-secret')
		const unknown = await post('tg-nope', update('x'))
		const otherTenant = await post('tg-auth', update('x'), SECRET, 'default')
		const missing = await call(`/hooks/${TENANT}/tg-auth`, { method: 'POST', body: '{}' })
		const bodies = []
		for (const res of [bad, unknown, otherTenant, missing]) {
			expect(res.status).toBe(401)
			const { requestId: _, ...rest } = await problem(res)
			bodies.push(rest)
		}
		expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1)
		expect(sentTo('tg-auth', 4242)).toEqual([])
	})

	it('pairs an unknown sender: a code, nothing for the agent; approved, the next message is answered', async () => {
		await channel('tg-pair', { dmPolicy: 'pairing' })
		expect((await post('tg-pair', update('let me in', 1003))).status).toBe(200)
		const notice = await eventually(async () => sentTo('tg-pair', 1003)[0])
		const code = /pairing code is ([A-Z2-9]{8})/.exec(notice)?.[1]
		expect(code).toBeDefined()
		// Nothing reached a lane: the session does not exist.
		expect((await lane('tg-pair:dm:1003').info()).ok).toBe(false)
		const pending = (await (await admin('/v1/channels/tg-pair/pairing', { headers })).json()) as {
			pending: { code: string; senderId: string }[]
		}
		expect(pending.pending).toEqual([expect.objectContaining({ code, senderId: '1003' })])
		const approved = await admin(`/v1/channels/tg-pair/pairing/${code}/approve`, {
			method: 'POST',
			headers,
		})
		expect(approved.status).toBe(200)
		expect((await post('tg-pair', update('now?', 1003))).status).toBe(200)
		await eventually(async () =>
			sentTo('tg-pair', 1003).includes('echo: now?') ? true : undefined,
		)
		const audit = await env.DB.prepare(
			`SELECT action FROM audit_log WHERE tenant_id = ? AND target = 'channel:tg-pair' ORDER BY seq`,
		)
			.bind(TENANT)
			.all<{ action: string }>()
		expect(audit.results.map((r) => r.action)).toEqual(
			expect.arrayContaining(['channel.pairing_requested', 'channel.pairing_approved']),
		)
	})

	it('splits a 10,000-character answer into ordered chunks within 4096', async () => {
		await channel('tg-long')
		expect((await post('tg-long', update('/long 10000', 1004))).status).toBe(200)
		const chunks = await eventually(async () => {
			const t = sentTo('tg-long', 1004)
			return t.length >= 3 ? t : undefined
		})
		const runs = await lane('tg-long:dm:1004').listRuns(0, 10)
		const output = runs.ok ? (runs.value.runs[0]?.output ?? '') : ''
		expect(output).toHaveLength(10_000)
		for (const c of chunks) expect(c.length).toBeLessThanOrEqual(4096)
		expect(chunks.join('').replace(/\s+/g, '')).toBe(output.replace(/\s+/g, ''))
	})

	it('waits out a 429 and delivers once, in order', async () => {
		await channel('tg-429')
		platforms.script(
			'/sendMessage',
			Response.json(
				{
					ok: false,
					error_code: 429,
					description: 'Too Many Requests: retry after 1',
					parameters: { retry_after: 1 },
				},
				{ status: 429 },
			),
		)
		expect((await post('tg-429', update('first', 1005))).status).toBe(200)
		expect((await post('tg-429', update('second', 1005))).status).toBe(200)
		const texts = await eventually(async () => {
			const t = sentTo('tg-429', 1005)
			return t.length >= 3 ? t : undefined
		})
		// The 429 answer is recorded as a call too: the first text twice, then the second.
		expect(texts).toEqual(['echo: first', 'echo: first', 'echo: second'])
	})

	it('never leaves a delivery stuck when the lane restarts mid-send', async () => {
		await channel('tg-crash')
		const release = platforms.hold('/bot123456:ABC-test-token/sendMessage')
		expect((await post('tg-crash', update('/long 9000', 1006))).status).toBe(200)
		await eventually(async () => {
			const d = await lane('tg-crash:dm:1006').listDeliveries(undefined, 10)
			return d.ok && d.value.deliveries.some((x) => x.status === 'sending') ? true : undefined
		})
		await abortAllDurableObjects()
		release()
		await runDurableObjectAlarm(lane('tg-crash:dm:1006'))
		const final = await eventually(async () => {
			const d = await lane('tg-crash:dm:1006').listDeliveries(undefined, 10)
			if (!d.ok) return undefined
			return d.value.deliveries.every((x) => x.status === 'sent' || x.status === 'failed')
				? d.value.deliveries
				: undefined
		})
		expect(final.length).toBeGreaterThanOrEqual(3)
		const texts = sentTo('tg-crash', 1006)
		// Every part went out; only the one in flight at the crash may have gone twice.
		for (const d of final) expect(d.status).toBe('sent')
		expect(texts.length - new Set(texts).size).toBeLessThanOrEqual(1)
		expect(new Set(texts).size).toBe(final.length)
	})

	it('asks for approval with buttons; a press decides only from an allowed sender, and is answered', async () => {
		// The sample callback_query is pressed in the private chat of user 1111111, who allows here.
		const asker = 1111111
		await channel('tg-approve', { dmPolicy: 'allowlist', allowFrom: [String(asker)] }, 'guarded')
		expect((await post('tg-approve', update('/tool time_now {}', asker))).status).toBe(200)
		const guarded = lane(`tg-approve:dm:${asker}`, 'guarded')
		const approval = await pendingApproval(guarded)
		const prompt = await eventually(async () => {
			const [p] = platforms
				.sent('/sendMessage', (j) => j.chat_id === asker)
				.filter((c) => c.url.hostname === 'tg-approve.platform.test')
			return p?.json
		})
		const keyboard = (prompt.reply_markup as { inline_keyboard: { callback_data: string }[][] })
			.inline_keyboard
		expect(keyboard.flat().map((b) => b.callback_data)).toEqual([
			`ap:${approval.id}:once`,
			`ap:${approval.id}:always`,
			`ap:${approval.id}:deny`,
		])

		const press = telegramCallbackQuery(`ap:${approval.id}:once`, nextUpdate++)
		const byOther = {
			...press,
			update_id: nextUpdate++,
			callback_query: {
				...press.callback_query,
				id: 'query-of-another',
				from: { ...press.callback_query.from, id: 2222222 },
			},
		}
		const refused = await post('tg-approve', byOther)
		expect(refused.status).toBe(200)
		expect(await refused.json()).toEqual({
			method: 'answerCallbackQuery',
			callback_query_id: 'query-of-another',
			text: 'Not taken: you may not decide approvals here',
		})
		// A sender the channel does not even let talk is only logged: strangers cannot grow the
		// audit log by pressing (an admitted sender's refusal is audited: slack-flow).
		expect((await approvalsOf(guarded)).map((a) => a.status)).toEqual(['pending'])
		expect(await auditActions(TENANT, 'channel:tg-approve')).not.toContain(
			'channel.approval_refused',
		)

		const taken = await post('tg-approve', press)
		expect(await taken.json()).toEqual({
			method: 'answerCallbackQuery',
			callback_query_id: press.callback_query.id,
			text: 'Allowed once',
		})
		expect((await approvalsOf(guarded))[0]).toMatchObject({
			status: 'allowed',
			decidedBy: `channel:tg-approve:${asker}`,
		})
		const [run] = await finishedRuns(guarded)
		expect(run?.output).toMatch(/^time_now returned /)
		await eventually(async () =>
			sentTo('tg-approve', asker).some((t) => t?.startsWith('time_now returned '))
				? true
				: undefined,
		)
	})
})
