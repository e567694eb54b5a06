// Discord end to end inside workerd: signed interactions in through POST /hooks/…, the answer out
// through the interaction's webhook on a fake Discord API — PING, signatures, the deferred reply
// edited into @original and the follow-ups of a long answer, in order and within 2000 characters.
import { beforeAll, describe, expect, it } from 'vitest'
import {
	APPLICATION_ID,
	APPROVAL_PRESS,
	CHANNEL_ID,
	DM_COMMAND,
	discordSigningKey,
	GUILD_COMMAND,
	PING,
	type SigningKey,
	USER_ID,
} from '../fakes/channel-payloads-discord'
import { FakePlatforms } from '../fakes/platforms'
import { call, eventually, problem } from '../helpers'
import * as flow from './flow-setup'

const TENANT = 'discord-flow'
const platforms = FakePlatforms.install()
let key: SigningKey

async function channel(id: string, extra: Record<string, unknown> = {}): Promise<void> {
	await flow.createChannel(TENANT, {
		id,
		kind: 'discord',
		...(extra.agent ? { agent: extra.agent as string } : {}),
		config: {
			...(extra.allowFrom ? { allowFrom: extra.allowFrom } : {}),
			applicationId: APPLICATION_ID,
			publicKey: key.publicKeyHex,
			apiBase: `https://${id}.platform.test/api/v10`,
			groups: [CHANNEL_ID],
		},
	})
}

const nowS = () => String(Math.floor(Date.now() / 1000))

async function post(channelId: string, body: unknown, signer = key): Promise<Response> {
	const raw = JSON.stringify(body)
	return call(`/hooks/${TENANT}/${channelId}`, {
		method: 'POST',
		headers: await signer.sign(nowS(), raw),
		body: raw,
	})
}

/** The guild `/ask` command of Discord's documentation, asking `text`, as interaction `n`. */
const ask = (text: string, n: number) => ({
	...GUILD_COMMAND,
	id: `78600872971521${String(n).padStart(4, '0')}`,
	token: `interaction-token-${n}`,
	data: {
		...GUILD_COMMAND.data,
		options: [{ type: 3, name: 'message', value: text }],
	},
})

/** Calls the fake Discord API got from one channel, in order of arrival. */
const calls = (channelId: string) =>
	platforms.calls.filter((c) => c.url.hostname === `${channelId}.platform.test`)

const session = (channelId: string, agent = 'main') =>
	flow.laneOf(TENANT, agent, `${channelId}:channel:${CHANNEL_ID}`)

beforeAll(async () => {
	await flow.prepareTenant(TENANT)
	key = await discordSigningKey()
})

describe('discord end to end', () => {
	it('answers a signed PING with PONG', async () => {
		await channel('discord-1')
		const res = await post('discord-1', PING)
		expect(res.status).toBe(200)
		expect(await res.json()).toEqual({ type: 1 })
	})

	it('refuses a bad signature, another key and a stale timestamp with 401', async () => {
		await channel('discord-2')
		const raw = JSON.stringify(ask('forged', 2))
		const signed = await key.sign(nowS(), raw)
		const tampered = await call(`/hooks/${TENANT}/discord-2`, {
			method: 'POST',
			headers: signed,
			body: raw.replace('forged', 'forget'),
		})
		const otherKey = await post('discord-2', ask('forged', 2), await discordSigningKey())
		const stale = String(Math.floor(Date.now() / 1000) - 301)
		const old = await call(`/hooks/${TENANT}/discord-2`, {
			method: 'POST',
			headers: await key.sign(stale, raw),
			body: raw,
		})
		const unsigned = await call(`/hooks/${TENANT}/discord-2`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(PING),
		})
		for (const res of [tampered, otherKey, old, unsigned]) {
			expect(res.status).toBe(401)
			expect(await problem(res)).toMatchObject({ code: 'unauthorized' })
		}
		expect((await session('discord-2').info()).ok).toBe(false)
		expect(calls('discord-2')).toEqual([])
	})

	it('defers a slash command at once, then edits the answer into @original', async () => {
		await channel('discord-3')
		const res = await post('discord-3', ask('What is the capital of France?', 3))
		expect(res.status).toBe(200)
		expect(await res.json()).toEqual({ type: 5 })
		const [edit] = await eventually(async () => {
			const c = calls('discord-3')
			return c.length > 0 ? c : undefined
		})
		expect(edit?.method).toBe('PATCH')
		expect(edit?.url.pathname).toBe(
			`/api/v10/webhooks/${APPLICATION_ID}/interaction-token-3/messages/@original`,
		)
		expect(edit?.json).toEqual({
			content: 'echo: What is the capital of France?',
			allowed_mentions: { parse: [] },
		})
	})

	it('sends a 5000-character answer as @original then follow-ups, in order, each within 2000', async () => {
		await channel('discord-4')
		const res = await post('discord-4', ask('/long 5000', 4))
		expect(await res.json()).toEqual({ type: 5 })
		const [run] = await flow.finishedRuns(session('discord-4'))
		const output = run?.output ?? ''
		expect(output).toHaveLength(5_000)
		const sent = await eventually(async () => {
			const d = await session('discord-4').listDeliveries(undefined, 50)
			if (!d.ok || d.value.deliveries.length === 0) return undefined
			if (!d.value.deliveries.every((x) => x.status === 'sent')) return undefined
			const c = calls('discord-4')
			return c.length === d.value.deliveries.length ? c : undefined
		})
		expect(sent.length).toBeGreaterThanOrEqual(3)
		const webhook = `/api/v10/webhooks/${APPLICATION_ID}/interaction-token-4`
		expect(sent.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
			`PATCH ${webhook}/messages/@original`,
			...sent.slice(1).map(() => `POST ${webhook}`),
		])
		const parts = sent.map((c) => String(c.json?.content))
		for (const p of parts) expect(p.length).toBeLessThanOrEqual(2_000)
		expect(parts.join('').replace(/\s+/g, '')).toBe(output.replace(/\s+/g, ''))
	})

	it('asks for approval with buttons; a press decides only from an allowed user, then the answer comes', async () => {
		await channel('discord-5', { agent: 'guarded', allowFrom: [USER_ID] })
		expect(await (await post('discord-5', ask('/tool time_now {}', 5))).json()).toEqual({ type: 5 })
		const lane = session('discord-5', 'guarded')
		const approval = await flow.pendingApproval(lane)
		const [prompt] = await eventually(async () => {
			const c = calls('discord-5')
			return c.length > 0 ? c : undefined
		})
		expect(`${prompt?.method} ${prompt?.url.pathname}`).toBe(
			`POST /api/v10/webhooks/${APPLICATION_ID}/interaction-token-5`,
		)
		const rows = prompt?.json?.components as { components: { custom_id: string }[] }[] | undefined
		expect(rows?.[0]?.components.map((b) => b.custom_id)).toEqual([
			`ap:${approval.id}:once`,
			`ap:${approval.id}:always`,
			`ap:${approval.id}:deny`,
		])
		const press = (userId: string, n: number) => ({
			...APPROVAL_PRESS,
			id: `84646263913460${String(n).padStart(4, '0')}`,
			member: { ...APPROVAL_PRESS.member, user: { ...APPROVAL_PRESS.member.user, id: userId } },
			data: { ...APPROVAL_PRESS.data, custom_id: `ap:${approval.id}:once` },
		})
		const refused = await post('discord-5', press('80351110224678912', 1))
		expect(await refused.json()).toEqual({
			type: 4,
			data: {
				content: 'you may not decide approvals here',
				flags: 64,
				allowed_mentions: { parse: [] },
			},
		})
		expect((await flow.approvalsOf(lane)).map((a) => a.status)).toEqual(['pending'])
		expect(await (await post('discord-5', press(USER_ID, 2))).json()).toEqual({ type: 6 })
		expect((await flow.approvalsOf(lane))[0]).toMatchObject({
			status: 'allowed',
			decidedBy: `channel:discord-5:${USER_ID}`,
		})
		const [run] = await flow.finishedRuns(lane)
		expect(run?.output).toMatch(/^time_now returned /)
		const answer = await eventually(async () => calls('discord-5')[1])
		expect(`${answer.method} ${answer.url.pathname}`).toBe(
			`PATCH /api/v10/webhooks/${APPLICATION_ID}/interaction-token-5/messages/@original`,
		)
		expect(String(answer.json?.content)).toMatch(/^time_now returned /)
	})
})

describe('discord pairing', () => {
	it('shows a stranger their pairing code in the command’s own answer, and sends nothing else', async () => {
		await channel('discord-pair')
		const res = await post('discord-pair', {
			...DM_COMMAND,
			id: '786008729715219999',
			token: 'interaction-token-pair',
		})
		expect(res.status).toBe(200)
		const body = (await res.json()) as { type: number; data: { content: string; flags: number } }
		expect(body.type).toBe(4)
		expect(body.data.flags).toBe(64)
		expect(body.data.content).toMatch(/pairing code is [A-Z2-9]{8}/)
		// The interaction had no answer yet when the code was made: nothing went to its webhook.
		expect(calls('discord-pair')).toEqual([])
	})
})
