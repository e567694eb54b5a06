// The device block of an OpenClaw `connect`: proof that the client holds the Ed25519 key it names.
// Pure (the clock and the challenge nonce are passed in): the id must be the hex SHA-256 of the raw
// public key, the signature fresh (±2 minutes, as OpenClaw) and over this connection's nonce, and
// it must verify over the exact payload OpenClaw's clients sign — `v3|…`, or the older `v2|…`.
import { z } from 'zod'
import { decodeBase64, encodeBase64url, hex } from '../../security/bytes'

/** How far `signedAt` may be from the server's clock (OpenClaw's DEVICE_SIGNATURE_SKEW_MS). */
export const DEVICE_SIGNATURE_SKEW_MS = 120_000

export const DeviceBlock = z
	.object({
		id: z.string().min(1).max(128),
		publicKey: z.string().min(1).max(512),
		signature: z.string().min(1).max(512),
		signedAt: z.number().int().min(0),
		nonce: z.string().min(1).max(200),
	})
	.strict()
export type DeviceBlock = z.infer<typeof DeviceBlock>

/** What else the client signed: its connect params as they arrived. */
export interface SignedConnect {
	clientId: string
	clientMode: string | undefined
	platform: string | undefined
	deviceFamily: string | undefined
	role: string
	scopes: readonly string[]
	/** `auth.token ?? auth.deviceToken ?? auth.bootstrapToken`, as the client picks it. */
	token: string | undefined
}

/** OpenClaw's verifier reasons; each has its `details.code` (see deviceAuthCode). */
export type DeviceProofFailure =
	| 'device-id-mismatch'
	| 'device-signature-stale'
	| 'device-nonce-missing'
	| 'device-nonce-mismatch'
	| 'device-signature'
	| 'device-public-key'

export type DeviceProof =
	| { ok: true; deviceId: string; publicKey: string; version: 'v3' | 'v2' }
	| { ok: false; reason: DeviceProofFailure }

/** Lower-cased, trimmed metadata, as the client normalises platform and device family. */
const normalized = (value: string | undefined): string =>
	(value ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase())

/** The text the client signs, in the given payload version. */
export function signedPayload(
	version: 'v3' | 'v2',
	device: { id: string; signedAt: number; nonce: string },
	c: SignedConnect,
): string {
	const base = [
		version,
		device.id,
		c.clientId,
		c.clientMode ?? '',
		c.role,
		c.scopes.join(','),
		String(device.signedAt),
		c.token ?? '',
		device.nonce,
	]
	if (version === 'v2') return base.join('|')
	return [...base, normalized(c.platform), normalized(c.deviceFamily)].join('|')
}

/** The raw 32-byte Ed25519 key of base64 / base64url text, or undefined. */
function rawKey(publicKey: string): Uint8Array | undefined {
	const bytes = decodeBase64(publicKey)
	return bytes && bytes.byteLength === 32 ? bytes : undefined
}

async function verifies(key: CryptoKey, payload: string, signature: string): Promise<boolean> {
	const sig = decodeBase64(signature)
	if (sig?.byteLength !== 64) return false
	try {
		return await crypto.subtle.verify('Ed25519', key, sig, new TextEncoder().encode(payload))
	} catch {
		return false
	}
}

/** Checks a device block against this connection's challenge nonce and the server's clock. */
export async function verifyDeviceProof(
	device: DeviceBlock,
	signed: SignedConnect,
	challengeNonce: string,
	now: number,
): Promise<DeviceProof> {
	const raw = rawKey(device.publicKey)
	const derived = raw && hex(await crypto.subtle.digest('SHA-256', raw))
	if (!raw || derived !== device.id) return { ok: false, reason: 'device-id-mismatch' }
	if (Math.abs(now - device.signedAt) > DEVICE_SIGNATURE_SKEW_MS) {
		return { ok: false, reason: 'device-signature-stale' }
	}
	const nonce = device.nonce.trim()
	if (!nonce) return { ok: false, reason: 'device-nonce-missing' }
	if (nonce !== challengeNonce) return { ok: false, reason: 'device-nonce-mismatch' }
	let key: CryptoKey
	try {
		key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify'])
	} catch {
		return { ok: false, reason: 'device-public-key' }
	}
	const block = { id: device.id, signedAt: device.signedAt, nonce }
	for (const version of ['v3', 'v2'] as const) {
		if (await verifies(key, signedPayload(version, block, signed), device.signature)) {
			return { ok: true, deviceId: derived, publicKey: encodeBase64url(raw), version }
		}
	}
	return { ok: false, reason: 'device-signature' }
}

/** OpenClaw's `details.code` for a verifier reason. */
export const deviceAuthCode = (reason: DeviceProofFailure): string =>
	({
		'device-id-mismatch': 'DEVICE_AUTH_DEVICE_ID_MISMATCH',
		'device-signature-stale': 'DEVICE_AUTH_SIGNATURE_EXPIRED',
		'device-nonce-missing': 'DEVICE_AUTH_NONCE_REQUIRED',
		'device-nonce-mismatch': 'DEVICE_AUTH_NONCE_MISMATCH',
		'device-signature': 'DEVICE_AUTH_SIGNATURE_INVALID',
		'device-public-key': 'DEVICE_AUTH_PUBLIC_KEY_INVALID',
	})[reason]
