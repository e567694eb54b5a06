// The Discord plugin's verification: Ed25519 over timestamp + body with a key made in the test,
// on interaction payloads shaped as Discord's documentation shows them; and its config schema.
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { discord } from '../../src/channels/discord'
import type { RawInbound } from '../../src/channels/plugin'
import { bytesOf, channelContext } from '../fakes/channel-context'
import {
	APPLICATION_ID,
	discordSigningKey,
	GUILD_COMMAND,
	PING,
	type SigningKey,
} from '../fakes/channel-payloads-discord'

const NOW = 1_760_000_000_000
const STAMP = String(NOW / 1000)
const HOOK = new URL('https://edgeclaw.example/hooks/acme/ch1')

let key: SigningKey
beforeAll(async () => {
	key = await discordSigningKey()
})

const fake = (over: Record<string, unknown> = {}) =>
	channelContext(
		discord,
		{ applicationId: APPLICATION_ID, publicKey: key.publicKeyHex, ...over },
		{ now: NOW },
	)

async function signed(payload: unknown, timestamp = STAMP): Promise<RawInbound> {
	const body = JSON.stringify(payload)
	return { url: HOOK, headers: await key.sign(timestamp, body), body: bytesOf(body) }
}

describe('config', () => {
	it('defaults the API base and secrets, and refuses a public key that is not 64 hex chars', () => {
		const config = discord.config.parse({
			applicationId: APPLICATION_ID,
			publicKey: 'ab'.repeat(32),
		})
		expect(config).toEqual({
			applicationId: APPLICATION_ID,
			publicKey: 'ab'.repeat(32),
			secrets: {},
			apiBase: 'https://discord.com/api/v10',
		})
		expect(discord.urls(config)).toEqual(['https://discord.com/api/v10'])
		for (const publicKey of ['ab'.repeat(31), 'zz'.repeat(32), ''])
			expect(discord.config.safeParse({ applicationId: APPLICATION_ID, publicKey }).success).toBe(
				false,
			)
		expect(
			discord.config.safeParse({ applicationId: '1', publicKey: 'ab'.repeat(32), token: 'x' })
				.success,
		).toBe(false)
	})
})

describe('verify', () => {
	it('accepts a request Discord signed, with either case of hex', async () => {
		const { ctx } = fake()
		const req = await signed(PING)
		expect(await discord.verify(ctx, req)).toBe(true)
		const upper = new Headers(req.headers)
		upper.set('x-signature-ed25519', (req.headers.get('x-signature-ed25519') ?? '').toUpperCase())
		expect(await discord.verify(ctx, { ...req, headers: upper })).toBe(true)
	})

	it('refuses a missing, malformed or foreign signature and a missing timestamp', async () => {
		const { ctx } = fake()
		const req = await signed(GUILD_COMMAND)
		const signature = req.headers.get('x-signature-ed25519') ?? ''
		const other = await (await discordSigningKey()).sign(STAMP, JSON.stringify(GUILD_COMMAND))
		const variants: HeadersInit[] = [
			{ 'x-signature-timestamp': STAMP },
			{ 'x-signature-ed25519': signature },
			{ 'x-signature-ed25519': 'not hex', 'x-signature-timestamp': STAMP },
			{ 'x-signature-ed25519': signature.slice(0, 126), 'x-signature-timestamp': STAMP },
			{ 'x-signature-ed25519': `${signature}00`, 'x-signature-timestamp': STAMP },
			{ 'x-signature-ed25519': '0'.repeat(128), 'x-signature-timestamp': STAMP },
			other,
		]
		for (const headers of variants)
			expect(await discord.verify(ctx, { ...req, headers: new Headers(headers) })).toBe(false)
	})

	it('refuses a tampered body and a signature moved to another timestamp', async () => {
		const { ctx } = fake()
		const req = await signed(GUILD_COMMAND)
		const tampered = JSON.stringify({ ...GUILD_COMMAND, guild_id: '1' })
		expect(await discord.verify(ctx, { ...req, body: bytesOf(tampered) })).toBe(false)
		const moved = new Headers(req.headers)
		moved.set('x-signature-timestamp', String(Number(STAMP) + 1))
		expect(await discord.verify(ctx, { ...req, headers: moved })).toBe(false)
	})

	it('refuses a timestamp that is not a number or is more than 300 s away (replay window)', async () => {
		const { ctx } = fake()
		for (const timestamp of ['abc', '1.5e9', '-1', ''])
			expect(await discord.verify(ctx, await signed(PING, timestamp))).toBe(false)
		expect(await discord.verify(ctx, await signed(PING, String(Number(STAMP) - 301)))).toBe(false)
		expect(await discord.verify(ctx, await signed(PING, String(Number(STAMP) + 301)))).toBe(false)
		expect(await discord.verify(ctx, await signed(PING, String(Number(STAMP) - 300)))).toBe(true)
	})

	it('refuses everything when the configured key is not a curve point', async () => {
		const { ctx } = fake({ publicKey: 'ff'.repeat(32) })
		expect(await discord.verify(ctx, await signed(PING))).toBe(false)
	})

	it('verify never throws and never accepts what was not signed', async () => {
		const { ctx } = fake()
		const header = fc.oneof(
			fc.string(),
			fc.stringMatching(/^[0-9a-f]{128}$/),
			fc.stringMatching(/^\d{10}$/),
		)
		await fc.assert(
			fc.asyncProperty(header, header, fc.uint8Array({ maxLength: 100 }), async (sig, ts, body) => {
				const headers = new Headers()
				const clean = (v: string) => v.replace(/[^\x20-\x7e]/g, '')
				headers.set('x-signature-ed25519', clean(sig))
				headers.set('x-signature-timestamp', clean(ts))
				expect(await discord.verify(ctx, { url: HOOK, headers, body })).toBe(false)
			}),
			{ numRuns: 100 },
		)
	})
})
