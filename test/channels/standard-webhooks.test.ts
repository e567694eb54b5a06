// Standard Webhooks 1.0 signing and verification against the spec's own test vector: key
// rotation lists, other versions ignored, the ±300 s window, and what is never accepted.
import { describe, expect, it } from 'vitest'
import {
	signStandardWebhook,
	verifyStandardWebhook,
} from '../../src/channels/webhook/standard-webhooks'
import { bytesOf } from '../fakes/channel-context'

// The Standard Webhooks test vector (the reference libraries' tests).
const VECTOR = {
	secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
	id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
	timestamp: 1614265330,
	body: '{"test": 2432232314}',
	signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const VECTOR_NOW = VECTOR.timestamp * 1000

const vectorHeaders = (signature = VECTOR.signature, timestamp = String(VECTOR.timestamp)) =>
	new Headers({
		'webhook-id': VECTOR.id,
		'webhook-timestamp': timestamp,
		'webhook-signature': signature,
	})

describe('Standard Webhooks signatures', () => {
	it('reproduces the spec test vector and verifies it', async () => {
		expect(await signStandardWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(
			VECTOR.signature,
		)
		expect(
			await verifyStandardWebhook(VECTOR.secret, vectorHeaders(), bytesOf(VECTOR.body), VECTOR_NOW),
		).toBe(true)
		// A secret without the whsec_ prefix is the same base64 key.
		expect(
			await verifyStandardWebhook(
				VECTOR.secret.slice(6),
				vectorHeaders(),
				bytesOf(VECTOR.body),
				VECTOR_NOW,
			),
		).toBe(true)
	})

	it('accepts any matching signature of a rotation list and ignores other versions', async () => {
		const verify = (signature: string) =>
			verifyStandardWebhook(
				VECTOR.secret,
				vectorHeaders(signature),
				bytesOf(VECTOR.body),
				VECTOR_NOW,
			)
		const wrong = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='
		expect(await verify(`${wrong} ${VECTOR.signature}`)).toBe(true)
		expect(await verify(`v1a,abc ${VECTOR.signature}`)).toBe(true)
		expect(await verify(wrong)).toBe(false)
		expect(await verify(VECTOR.signature.replace('v1,', 'v2,'))).toBe(false)
		expect(await verify(`v1,${'A'.repeat(43)}=`)).toBe(false)
		expect(await verify('v1,not base64!')).toBe(false)
		expect(await verify('')).toBe(false)
	})

	it('refuses a timestamp more than 300 s from now, either way', async () => {
		const at = async (nowS: number) =>
			verifyStandardWebhook(VECTOR.secret, vectorHeaders(), bytesOf(VECTOR.body), nowS * 1000)
		expect(await at(VECTOR.timestamp + 300)).toBe(true)
		expect(await at(VECTOR.timestamp - 300)).toBe(true)
		expect(await at(VECTOR.timestamp + 301)).toBe(false)
		expect(await at(VECTOR.timestamp - 301)).toBe(false)
		for (const timestamp of ['1614265330.0', 'abc', '', '-1614265330'])
			expect(
				await verifyStandardWebhook(
					VECTOR.secret,
					vectorHeaders(VECTOR.signature, timestamp),
					bytesOf(VECTOR.body),
					VECTOR_NOW,
				),
			).toBe(false)
	})

	it('refuses a tampered body or id, a missing header and a secret that is not base64', async () => {
		const body = bytesOf(VECTOR.body)
		expect(
			await verifyStandardWebhook(
				VECTOR.secret,
				vectorHeaders(),
				bytesOf('{"test": 2432232315}'),
				VECTOR_NOW,
			),
		).toBe(false)
		const otherId = vectorHeaders()
		otherId.set('webhook-id', 'msg_other')
		expect(await verifyStandardWebhook(VECTOR.secret, otherId, body, VECTOR_NOW)).toBe(false)
		for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
			const headers = vectorHeaders()
			headers.delete(name)
			expect(await verifyStandardWebhook(VECTOR.secret, headers, body, VECTOR_NOW)).toBe(false)
		}
		for (const secret of ['whsec_', 'whsec_***', 'plain text'])
			expect(await verifyStandardWebhook(secret, vectorHeaders(), body, VECTOR_NOW)).toBe(false)
		await expect(signStandardWebhook('whsec_***', 'id', 1, '{}')).rejects.toThrow('whsec_<base64>')
	})
})
