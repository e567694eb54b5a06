// Brute force over the OpenClaw socket: `connect` counts failed tokens per client IP with HTTP's
// limit, and past it the IP is locked out — a fresh socket per try, and even a valid key, are
// refused with AUTH_RATE_LIMITED until the lockout ends. On both endpoints, and a lockout earned
// over HTTP holds on the socket too.
import { env, runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers'
import { key, tenant } from '../../security/helpers'
import { connectParams, type Frame, openWire } from './wire'

let member: { id: string; secret: string }

beforeAll(async () => {
	await tenant('brute')
	member = await key('brute', 'member')
})

/** One try on a new socket: the connect answer, and how the socket closed when it was refused. */
async function attempt(path: string, ip: string, token: string) {
	const wire = await openWire(path, { 'cf-connecting-ip': ip })
	await wire.next((f) => f.event === 'connect.challenge')
	const res = await wire.request('connect', connectParams(token))
	if (res.ok) {
		wire.ws.close(1000)
		return { res, close: undefined }
	}
	return { res, close: await wire.closed }
}

const badToken = (i: number) =>
	`ek_${'e'.repeat(16)}_${'y'.repeat(40)}${String(i).padStart(3, '0')}`

const expectLockedOut = (res: Frame, close: { code: number } | undefined) => {
	expect(res.ok).toBe(false)
	expect(res.error).toMatchObject({
		code: 'INVALID_REQUEST',
		details: { code: 'AUTH_RATE_LIMITED', recommendedNextStep: 'wait_then_retry' },
		retryable: true,
	})
	const retry = (res.error as { retryAfterMs?: number }).retryAfterMs
	expect(retry).toBeGreaterThan(0)
	expect(retry).toBeLessThanOrEqual(60_000)
	expect(close?.code).toBe(1008)
}

describe('connect is brute-force limited per client IP', () => {
	for (const [path, ip] of [
		['/v1/gateway', '203.0.113.60'],
		['/', '203.0.113.61'],
	] as const) {
		it(`refuses bad tokens past the limit, then a valid key from that IP (${path})`, async () => {
			let firstLimited = 0
			for (let i = 1; i <= 30; i++) {
				const { res, close } = await attempt(path, ip, badToken(i))
				expect(res.ok).toBe(false)
				expect(close?.code).toBe(1008)
				if (res.error?.details?.code === 'AUTH_RATE_LIMITED') {
					expectLockedOut(res, close)
					firstLimited = i
					break
				}
				expect(res.error?.details?.code).toBe('AUTH_TOKEN_MISMATCH')
			}
			// Limit 10 per 60 s window: the 11th try, or at worst the 21st if a window turns over.
			expect(firstLimited).toBeGreaterThan(10)
			expect(firstLimited).toBeLessThanOrEqual(21)

			// A new socket does not reset it, and a valid key from that IP is refused as well …
			const locked = await attempt(path, ip, member.secret)
			expectLockedOut(locked.res, locked.close)
			// … while the same key from another IP connects.
			expect((await attempt(path, '198.51.100.61', member.secret)).res.ok).toBe(true)

			// Once the lockout has passed, the valid key connects from that IP again.
			await runInDurableObject(env.AUTH_LOCKOUT.getByName(ip), (_instance, state) => {
				state.storage.kv.put('until', Date.now() - 1)
			})
			expect((await attempt(path, ip, member.secret)).res.ok).toBe(true)
		})
	}

	it('audits failed connects as HTTP does: reason and IP, never the token', async () => {
		const ip = '203.0.113.62'
		await attempt('/v1/gateway', ip, badToken(999))
		await expect
			.poll(async () => {
				const rows = await env.DB.prepare(
					"SELECT tenant_id, actor, outcome, data FROM audit_log WHERE action = 'auth.failed' AND data LIKE ?",
				)
					.bind(`%${ip}%`)
					.all<{ tenant_id: string; actor: string; outcome: string; data: string }>()
				return rows.results.map((r) => ({ ...r, data: JSON.parse(r.data) }))
			})
			.toEqual([
				{
					tenant_id: '_platform',
					actor: 'anonymous',
					outcome: 'failure',
					data: { reason: 'unknown_key', surface: 'openclaw', ip },
				},
			])
		const all = await env.DB.prepare(
			"SELECT data FROM audit_log WHERE action = 'auth.failed'",
		).all()
		expect(JSON.stringify(all.results)).not.toContain('y'.repeat(40))
	})

	it('a lockout earned over HTTP holds on the socket', async () => {
		const ip = '203.0.113.63'
		let status = 0
		for (let i = 1; i <= 30 && status !== 429; i++) {
			status = (
				await call('/v1/agents', {
					headers: { authorization: `Bearer ${badToken(i)}`, 'cf-connecting-ip': ip },
				})
			).status
		}
		expect(status).toBe(429)
		const locked = await attempt('/v1/gateway', ip, member.secret)
		expectLockedOut(locked.res, locked.close)
	})
})
