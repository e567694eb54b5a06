// Standard Webhooks 1.0 signatures (standardwebhooks.com): `v1,<base64 HMAC-SHA256(key,
// "<webhook-id>.<webhook-timestamp>.<body>")>`, the key being the base64 part of a `whsec_` secret.
// Inbound verification and outbound signing share this file, so one can check the other; the
// generic webhook channel and alert notifications both sign with it.
import { decodeBase64, encodeBase64 } from './bytes'

/** How far a `webhook-timestamp` may be from now, either way, before the request is a replay. */
export const WEBHOOK_TOLERANCE_S = 300
/** Signatures read from one header; more is not a rotation, it is noise. */
const MAX_SIGNATURES = 16
const SIGNATURE_BYTES = 32

const encoder = new TextEncoder()

/** The HMAC key of a `whsec_<base64>` secret (a bare value is read as base64 too). */
export function webhookKey(secret: string): Uint8Array | undefined {
	const key = decodeBase64(secret.startsWith('whsec_') ? secret.slice(6) : secret)
	return key && key.length > 0 ? key : undefined
}

/** The signature header value for one delivery: `v1,<base64>`. Throws on a secret that is not base64. */
export async function signStandardWebhook(
	secret: string,
	id: string,
	timestamp: number,
	body: Uint8Array | string,
): Promise<string> {
	const key = await hmacKey(secret, 'sign')
	if (!key) throw new TypeError('the signing secret is not whsec_<base64>')
	const mac = await crypto.subtle.sign('HMAC', key, signedContent(id, String(timestamp), body))
	return `v1,${encodeBase64(new Uint8Array(mac))}`
}

/**
 * The headers of one signed JSON delivery of `body`: `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and its `webhook-signature`. Throws, as signing does, on a secret that is not base64.
 */
export async function standardWebhookHeaders(
	secret: string,
	id: string,
	timestamp: number,
	body: string,
): Promise<Record<string, string>> {
	return {
		'content-type': 'application/json',
		'webhook-id': id,
		'webhook-timestamp': String(timestamp),
		'webhook-signature': await signStandardWebhook(secret, id, timestamp, body),
	}
}

/**
 * True when `headers` carry `webhook-id`, a `webhook-timestamp` within the tolerance of `now`
 * (ms) and at least one `v1` signature of the body by `secret` (a space-separated list, so a
 * sender can rotate keys). Compared in constant time; never throws.
 */
export async function verifyStandardWebhook(
	secret: string,
	headers: Headers,
	body: Uint8Array,
	now: number,
): Promise<boolean> {
	const id = headers.get('webhook-id')
	const timestamp = headers.get('webhook-timestamp') ?? ''
	const signatures = headers.get('webhook-signature')
	if (!id || !signatures || !/^\d{1,12}$/.test(timestamp)) return false
	if (Math.abs(now / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_S) return false
	const key = await hmacKey(secret, 'verify').catch(() => undefined)
	if (!key) return false
	const content = signedContent(id, timestamp, body)
	const candidates = signatures
		.split(' ')
		.filter((entry) => entry.startsWith('v1,'))
		.slice(0, MAX_SIGNATURES)
	for (const entry of candidates) {
		const mac = decodeBase64(entry.slice(3))
		if (mac?.length !== SIGNATURE_BYTES) continue
		if (await crypto.subtle.verify('HMAC', key, mac, content)) return true
	}
	return false
}

async function hmacKey(secret: string, use: 'sign' | 'verify'): Promise<CryptoKey | undefined> {
	const raw = webhookKey(secret)
	if (!raw) return undefined
	return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [use])
}

function signedContent(id: string, timestamp: string, body: Uint8Array | string): Uint8Array {
	const head = encoder.encode(`${id}.${timestamp}.`)
	const tail = typeof body === 'string' ? encoder.encode(body) : body
	const content = new Uint8Array(head.length + tail.length)
	content.set(head)
	content.set(tail, head.length)
	return content
}
