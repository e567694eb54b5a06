// Channels across tenants and against garbage, through the real hook route: a webhook signed for
// tenant A never reaches a session of tenant B (fast-check over tenant, channel and sender ids),
// and whatever arrives at a channel's hook is answered 200/202/400/401, never a 5xx.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { signStandardWebhook } from '../../src/channels/webhook/standard-webhooks'
import { encodeBase64 } from '../../src/security/bytes'
import { slackSignature } from '../fakes/channel-payloads'
import {
	APPLICATION_ID,
	discordSigningKey,
	type SigningKey,
} from '../fakes/channel-payloads-discord'
import { FakePlatforms } from '../fakes/platforms'
import { call, eventually } from '../helpers'
import { tenant } from '../security/helpers'
import { createChannel, finishedRuns, laneOf, storeSecrets } from './flow-setup'

FakePlatforms.install()

const encoder = new TextEncoder()
const nowS = () => Math.floor(Date.now() / 1000)
const randomSecret = () => `whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`

/** A webhook channel of `tenantId` verifying with the tenant secret `secretName`. */
const webhookChannel = (tenantId: string, id: string, secretName: string) =>
	createChannel(tenantId, {
		id,
		kind: 'webhook',
		config: {
			secrets: { signingSecret: secretName },
			dmPolicy: 'open',
			callbackUrl: 'https://isolation.platform.test/callback',
		},
	})

/** A Standard Webhooks request signed with `secret`. */
async function signedHook(
	path: string,
	secret: string,
	body: string,
	id: string,
	extra: Record<string, string> = {},
): Promise<Response> {
	const timestamp = nowS()
	return call(path, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			...extra,
			'webhook-id': id,
			'webhook-timestamp': String(timestamp),
			'webhook-signature': await signStandardWebhook(secret, id, timestamp, body),
		},
		body,
	})
}

const sessionRows = async (tenantId: string) =>
	(
		await env.DB.prepare('SELECT session_key, agent_id FROM sessions WHERE tenant_id = ?')
			.bind(tenantId)
			.all<{ session_key: string; agent_id: string }>()
	).results

describe('cross-tenant isolation', () => {
	it("a webhook signed with tenant A's secret never reaches a session of tenant B", async () => {
		let run = 0
		await fc.assert(
			fc.asyncProperty(
				fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}$/), {
					minLength: 2,
					maxLength: 2,
				}),
				fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
				fc.stringMatching(/^[A-Za-z0-9._@+=-]{1,30}$/),
				// What B has under the same channel id: nothing, or its own secret under the same name or another.
				fc.constantFrom('none', 'same-secret-name', 'other-secret-name'),
				async ([a, b], channelId, senderId, bHas) => {
					run++
					// Fresh tenants every run (shrinking replays runs): prefix-related ids stay prefix-related.
					const tenantA = `r${run}-${a}`
					const tenantB = `r${run}-${b}`
					const secretA = randomSecret()
					const secretB = randomSecret()
					await tenant(tenantA)
					await tenant(tenantB)
					await storeSecrets(tenantA, { WH_SIGNING: secretA })
					await webhookChannel(tenantA, channelId, 'WH_SIGNING')
					if (bHas !== 'none') {
						const name = bHas === 'same-secret-name' ? 'WH_SIGNING' : 'WH_OTHER'
						await storeSecrets(tenantB, { [name]: secretB })
						await webhookChannel(tenantB, channelId, name)
					}
					const body = JSON.stringify({ text: `hello ${run}`, sender: { id: senderId } })
					const sessionKey = `${channelId}:dm:${senderId}`

					const postAs = (tenantId: string, secret: string, id: string) =>
						signedHook(`/hooks/${tenantId}/${channelId}`, secret, body, id)

					expect((await postAs(tenantB, secretA, `msg_${run}`)).status).toBe(401)
					if (bHas !== 'none') {
						// And the other way round: B's own key does not open A's channel.
						expect((await postAs(tenantA, secretB, `msg_b${run}`)).status).toBe(401)
					}
					const intoA = await postAs(tenantA, secretA, `msg_${run}`)
					expect(intoA.status).toBe(202)
					const [done] = await finishedRuns(laneOf(tenantA, 'main', sessionKey))
					expect(done?.output).toBe(`echo: hello ${run}`)
					// The session index of A is written; by then any session of B would be too.
					await eventually(async () => ((await sessionRows(tenantA)).length > 0 ? true : undefined))
					expect(await sessionRows(tenantA)).toEqual([
						{ session_key: sessionKey, agent_id: 'main' },
					])
					expect(await sessionRows(tenantB)).toEqual([])
					expect((await laneOf(tenantB, 'main', sessionKey).info()).ok).toBe(false)
				},
			),
			{ numRuns: 25 },
		)
	})
})

// ---------------------------------------------------------------------------------------------
// Garbage at a real channel's hook, of every kind.

const FUZZ = 'iso-fuzz'
const KINDS = ['webhook', 'slack', 'telegram', 'discord'] as const
type Kind = (typeof KINDS)[number]
const WEBHOOK_SECRET = randomSecret()
const SLACK_SECRET = 'fuzz-slack-signing-secret'
const TELEGRAM_SECRET = 'fuzz-telegram-secret-token'
let discordKey: SigningKey

/** Headers a proxy or the runtime owns; a sender cannot set them freely. */
const TRANSPORT = new Set([
	'content-length',
	'transfer-encoding',
	'host',
	'connection',
	'expect',
	'upgrade',
	'te',
	'trailer',
	'keep-alive',
])

const bodies = fc.oneof(
	fc.uint8Array({ maxLength: 512 }),
	fc.string({ maxLength: 200 }).map((s) => encoder.encode(s)),
	fc.jsonValue({ maxDepth: 3 }).map((v) => encoder.encode(JSON.stringify(v))),
	fc
		.record(
			{
				text: fc.oneof(fc.string(), fc.integer()),
				type: fc.string({ maxLength: 20 }),
				update_id: fc.integer(),
				sender: fc.jsonValue({ maxDepth: 2 }),
			},
			{ requiredKeys: [] },
		)
		.map((v) => encoder.encode(JSON.stringify(v))),
)

const headers = fc.dictionary(
	fc
		.oneof(
			fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
			fc.constantFrom(
				'content-type',
				'authorization',
				'content-encoding',
				'x-edgeclaw-tenant',
				'webhook-id',
				'webhook-timestamp',
				'webhook-signature',
				'x-slack-signature',
				'x-slack-request-timestamp',
				'x-slack-retry-num',
				'x-telegram-bot-api-secret-token',
				'x-signature-ed25519',
				'x-signature-timestamp',
				'prefer',
			),
		)
		.filter((name) => !TRANSPORT.has(name)),
	fc.oneof(
		fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,60}[\x21-\x7e])?$/),
		fc.constantFrom(
			'application/json',
			'application/x-www-form-urlencoded',
			'gzip',
			'v1,AAAA',
			'0',
		),
	),
	{ maxKeys: 6 },
)

/** What makes a request authentic for each kind, over exactly these bytes. */
async function authentic(
	kind: Kind,
	body: Uint8Array,
	webhookId: string,
): Promise<Record<string, string>> {
	const stamp = String(nowS())
	switch (kind) {
		case 'webhook':
			return {
				'webhook-id': webhookId,
				'webhook-timestamp': stamp,
				'webhook-signature': await signStandardWebhook(
					WEBHOOK_SECRET,
					webhookId,
					Number(stamp),
					body,
				),
			}
		case 'slack':
			return {
				'x-slack-request-timestamp': stamp,
				'x-slack-signature': await slackSignature(SLACK_SECRET, stamp, body),
			}
		case 'telegram':
			return { 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET }
		case 'discord':
			return Object.fromEntries(await discordKey.sign(stamp, body))
	}
}

const hook = (kind: Kind, body: Uint8Array, head: Record<string, string>) =>
	call(`/hooks/${FUZZ}/fuzz-${kind}`, { method: 'POST', headers: head, body })

/** The body as text, or undefined when it is not UTF-8. */
function textOf(body: Uint8Array): string | undefined {
	try {
		return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body)
	} catch {
		return undefined
	}
}

/** The text as JSON, or undefined when it is none. */
function jsonOf(text: string | undefined): { value: unknown } | undefined {
	if (text === undefined) return undefined
	try {
		return { value: JSON.parse(text) }
	} catch {
		return undefined
	}
}

async function problemCode(res: Response): Promise<unknown> {
	expect(res.headers.get('content-type')).toBe('application/problem+json')
	return ((await res.json()) as { code?: unknown }).code
}

describe('garbage at a hook', () => {
	beforeAll(async () => {
		discordKey = await discordSigningKey()
		await tenant(FUZZ)
		await storeSecrets(FUZZ, {
			FUZZ_WEBHOOK: WEBHOOK_SECRET,
			FUZZ_SLACK: SLACK_SECRET,
			FUZZ_SLACK_TOKEN: 'xoxb-fuzz',
			FUZZ_TELEGRAM: TELEGRAM_SECRET,
			FUZZ_TELEGRAM_TOKEN: '42:fuzz',
		})
		await webhookChannel(FUZZ, 'fuzz-webhook', 'FUZZ_WEBHOOK')
		const platformChannels = [
			{
				kind: 'slack',
				secrets: { botToken: 'FUZZ_SLACK_TOKEN', signingSecret: 'FUZZ_SLACK' },
				apiBase: 'https://slack-fuzz.platform.test/api',
			},
			{
				kind: 'telegram',
				secrets: { botToken: 'FUZZ_TELEGRAM_TOKEN', webhookSecret: 'FUZZ_TELEGRAM' },
				apiBase: 'https://telegram-fuzz.platform.test',
			},
			{
				kind: 'discord',
				applicationId: APPLICATION_ID,
				publicKey: discordKey.publicKeyHex,
				apiBase: 'https://discord-fuzz.platform.test/api/v10',
			},
		]
		for (const { kind, ...own } of platformChannels) {
			const config = { dmPolicy: 'open', groupPolicy: 'open', ...own }
			await createChannel(FUZZ, { id: `fuzz-${kind}`, kind, config })
		}
	})

	it('answers anything unsigned with 401, whatever its body and headers', async () => {
		await fc.assert(
			fc.asyncProperty(fc.constantFrom(...KINDS), bodies, headers, async (kind, body, head) => {
				const res = await hook(kind, body, head)
				expect(res.status).toBe(401)
				expect(await problemCode(res)).toBe('unauthorized')
			}),
			{ numRuns: 25 },
		)
	})

	it('answers a valid signature over garbage with 400 (or the platform ack), never a 5xx', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom(...KINDS),
				bodies,
				headers,
				// A webhook-id as senders write them, sometimes with spaces (which the channel refuses).
				fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/),
				async (kind, body, head, webhookId) => {
					const res = await hook(kind, body, {
						'content-type': 'application/json',
						...head,
						...(await authentic(kind, body, webhookId)),
					})
					expect([200, 202, 400]).toContain(res.status)
					const utf8 = textOf(body)
					const json = jsonOf(utf8)
					const slackForm = kind === 'slack' && /form-urlencoded/i.test(head['content-type'] ?? '')
					// Bytes that are not UTF-8 are never an event; nor, but for a Slack form (which may
					// be an ignored interaction), is anything that is not a JSON object.
					const object = typeof json?.value === 'object' && json.value !== null
					if (utf8 === undefined || (!slackForm && !object)) expect(res.status).toBe(400)
					if (res.status === 400) expect(await problemCode(res)).toBe('bad_request')
				},
			),
			{ numRuns: 25 },
		)
	})
})
