// The device block's proof, at `connect` and alone: a bad signature, another socket's nonce, a
// stale signedAt or an id that is not its key's hash is refused with OpenClaw's DEVICE_AUTH_* code
// and counted as a failed authentication; the older v2 payload still verifies; and no random
// device block crashes the handshake (fast-check) — each gets a protocol error.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
	DEVICE_SIGNATURE_SKEW_MS,
	verifyDeviceProof,
} from '../../../src/gateway/openclaw/device-proof'
import { eventually } from '../../helpers'
import { key, tenant } from '../../security/helpers'
import { deviceBlock, deviceConnect, newDevice } from './device-wire'
import { connectParams, openWire } from './wire'

let operator: { id: string; secret: string }

beforeAll(async () => {
	await tenant('proof')
	operator = await key('proof', 'operator')
})

/** The failed-authentication audit row of this IP, once written. */
const failureOf = (ip: string) =>
	eventually(async () => {
		const row = await env.DB.prepare(
			"SELECT data FROM audit_log WHERE action = 'auth.failed' AND data LIKE ?",
		)
			.bind(`%"ip":"${ip}"%`)
			.first<{ data: string }>()
		return row ? (JSON.parse(row.data) as { reason: string }) : undefined
	})

describe('a device block that does not prove its key is refused and counted', () => {
	const cases = [
		['a bad signature', 'DEVICE_AUTH_SIGNATURE_INVALID', { payload: 'something else' }],
		['another nonce', 'DEVICE_AUTH_NONCE_MISMATCH', { nonce: crypto.randomUUID() }],
		[
			'a stale signedAt',
			'DEVICE_AUTH_SIGNATURE_EXPIRED',
			{ signedAt: Date.now() - DEVICE_SIGNATURE_SKEW_MS - 60_000 },
		],
		['an id that is not the key hash', 'DEVICE_AUTH_DEVICE_ID_MISMATCH', { id: 'a'.repeat(64) }],
	] as const
	cases.forEach(([what, code, signing], i) => {
		it(what, async () => {
			const ip = `198.51.100.${120 + i}`
			const dev = await newDevice()
			const { res, wire } = await deviceConnect(dev, { token: operator.secret }, { ip, signing })
			expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code } })
			expect((await wire.closed).code).toBe(1008)
			expect((await failureOf(ip)).reason).toMatch(/^device-/)
		})
	})

	it('another key in the block than the one hashed into its id', async () => {
		const dev = await newDevice()
		const stranger = await newDevice()
		const ip = '198.51.100.130'
		const signing = { publicKey: stranger.publicKey }
		const { res } = await deviceConnect(dev, { token: operator.secret }, { ip, signing })
		expect(res.error?.details?.code).toBe('DEVICE_AUTH_DEVICE_ID_MISMATCH')
	})

	it('a device token without a device block', async () => {
		const ip = '198.51.100.131'
		const wire = await openWire('/v1/gateway', { 'cf-connecting-ip': ip })
		await wire.next((f) => f.event === 'connect.challenge')
		const token = `ecd_${'0'.repeat(16)}_${'A'.repeat(43)}`
		const res = await wire.request('connect', {
			...connectParams(''),
			auth: { deviceToken: token },
		})
		expect(res.error).toMatchObject({
			code: 'NOT_PAIRED',
			details: { code: 'DEVICE_IDENTITY_REQUIRED' },
		})
		expect((await failureOf(ip)).reason).toBe('device_identity_required')
	})

	it('the older v2 payload verifies (the device is then asked to pair)', async () => {
		const dev = await newDevice()
		const { res } = await deviceConnect(
			dev,
			{ token: operator.secret },
			{ signing: { version: 'v2' } },
		)
		expect(res.error?.details?.code).toBe('PAIRING_REQUIRED')
	})
})

describe('failed device proofs count toward the per-IP lockout', () => {
	it('enough of them lock the IP out, even for a valid key without a device', async () => {
		const ip = '198.51.100.140'
		const dev = await newDevice()
		let limited = false
		for (let i = 0; i < 30 && !limited; i++) {
			const signing = { payload: `forged ${i}` }
			const { res } = await deviceConnect(dev, { token: operator.secret }, { ip, signing })
			limited = res.error?.details?.code === 'AUTH_RATE_LIMITED'
			if (!limited) expect(res.error?.details?.code).toBe('DEVICE_AUTH_SIGNATURE_INVALID')
		}
		expect(limited).toBe(true)
		const wire = await openWire('/v1/gateway', { 'cf-connecting-ip': ip })
		await wire.next((f) => f.event === 'connect.challenge')
		const res = await wire.request('connect', connectParams(operator.secret))
		expect(res.error?.details?.code).toBe('AUTH_RATE_LIMITED')
	})
})

describe('verifyDeviceProof', () => {
	const signed = {
		clientId: 'test-client',
		clientMode: 'operator',
		platform: 'test',
		deviceFamily: undefined,
		role: 'operator',
		scopes: ['operator.read'],
		token: 'tok',
	}

	it('accepts the payload the client signs and names its version', async () => {
		const dev = await newDevice()
		const params = {
			...connectParams('tok', { scopes: ['operator.read'] }),
			auth: { token: 'tok' },
		}
		const block = await deviceBlock(dev, params, 'n-1', { signedAt: 1_000_000 })
		const proof = await verifyDeviceProof(block, signed, 'n-1', 1_000_000)
		expect(proof).toEqual({ ok: true, deviceId: dev.id, publicKey: dev.publicKey, version: 'v3' })
		// A signed field changed after signing: the signature no longer verifies.
		const other = await verifyDeviceProof(
			block,
			{ ...signed, scopes: ['operator.admin'] },
			'n-1',
			1_000_000,
		)
		expect(other).toEqual({ ok: false, reason: 'device-signature' })
	})

	it('never throws on random device blocks (fast-check)', async () => {
		const dev = await newDevice()
		await fc.assert(
			fc.asyncProperty(
				fc.record({
					id: fc.oneof(fc.constant(dev.id), fc.string({ minLength: 1, maxLength: 80 })),
					publicKey: fc.oneof(
						fc.constant(dev.publicKey),
						fc.string({ minLength: 1, maxLength: 90 }),
					),
					signature: fc.oneof(fc.base64String({ maxLength: 100 }), fc.string({ minLength: 1 })),
					signedAt: fc.nat(),
					nonce: fc.string({ minLength: 1, maxLength: 40 }),
				}),
				async (block) => {
					const proof = await verifyDeviceProof(block, signed, 'n', Date.now())
					expect(proof.ok).toBe(false)
				},
			),
			{ numRuns: 200 },
		)
	})
})

describe('random device blocks at connect (fast-check)', () => {
	it('always answer with a protocol error, never a crash', async () => {
		let run = 0
		await fc.assert(
			fc.asyncProperty(
				fc.oneof(
					fc.anything().filter((v) => v !== undefined),
					fc.record({
						id: fc.string(),
						publicKey: fc.string(),
						signature: fc.string(),
						signedAt: fc.oneof(fc.integer(), fc.double()),
						nonce: fc.string(),
					}),
				),
				async (device) => {
					// One IP per run: each refusal counts against its IP's lockout.
					run++
					const wire = await openWire('/v1/gateway', {
						'cf-connecting-ip': `192.0.2.${(run % 200) + 1}`,
					})
					await wire.next((f) => f.event === 'connect.challenge')
					const res = await wire.request('connect', { ...connectParams(operator.secret), device })
					expect(res.ok).toBe(false)
					expect(typeof res.error?.code).toBe('string')
					expect((await wire.closed).code).toBe(1008)
				},
			),
			{ numRuns: 25 },
		)
	})
})
