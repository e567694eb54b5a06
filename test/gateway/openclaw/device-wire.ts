// OpenClaw devices for tests: a real Ed25519 key pair (Web Crypto), the device block a client
// signs for a connect (OpenClaw's `v3|…` payload, or `v2|…`), and a connect over a fresh socket.
import { connectParams, type Frame, openWire, type Wire } from './wire'

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
	btoa(String.fromCharCode(...new Uint8Array(bytes)))
		.replaceAll('+', '-')
		.replaceAll('/', '_')
		.replace(/=+$/, '')
const hexOf = (bytes: ArrayBuffer) =>
	[...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('')

export interface TestDevice {
	id: string
	publicKey: string
	sign(payload: string): Promise<string>
}

export async function newDevice(): Promise<TestDevice> {
	const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
		'sign',
		'verify',
	])) as CryptoKeyPair
	const raw = (await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer
	return {
		id: hexOf(await crypto.subtle.digest('SHA-256', raw)),
		publicKey: b64url(raw),
		async sign(payload) {
			const sig = await crypto.subtle.sign(
				'Ed25519',
				pair.privateKey,
				new TextEncoder().encode(payload),
			)
			return b64url(sig)
		},
	}
}

export interface Signing {
	nonce?: string
	signedAt?: number
	version?: 'v3' | 'v2'
	/** Sign these bytes instead of the payload (a bad signature). */
	payload?: string
	id?: string
	publicKey?: string
}

type Params = ReturnType<typeof connectParams> & { auth: Record<string, string> }

/** The device block OpenClaw's client builds for these connect params. */
export async function deviceBlock(dev: TestDevice, params: Params, nonce: string, s: Signing = {}) {
	const signedAt = s.signedAt ?? Date.now()
	const token = params.auth.token ?? params.auth.deviceToken ?? ''
	const base = [
		s.version ?? 'v3',
		dev.id,
		params.client.id,
		params.client.mode,
		params.role,
		params.scopes.join(','),
		String(signedAt),
		token,
		nonce,
	]
	const text = s.version === 'v2' ? base.join('|') : [...base, params.client.platform, ''].join('|')
	return {
		id: s.id ?? dev.id,
		publicKey: s.publicKey ?? dev.publicKey,
		signature: await dev.sign(s.payload ?? text),
		signedAt,
		nonce: s.nonce ?? nonce,
	}
}

/** Opens a socket and sends a device connect; the answer and the socket. */
export async function deviceConnect(
	dev: TestDevice,
	auth: Record<string, string>,
	opts: { scopes?: string[]; ip?: string; signing?: Signing } = {},
): Promise<{ res: Frame; wire: Wire }> {
	const wire = await openWire('/v1/gateway', opts.ip ? { 'cf-connecting-ip': opts.ip } : {})
	const challenge = await wire.next((f) => f.event === 'connect.challenge')
	const nonce = String(challenge.payload?.nonce)
	const params = {
		...connectParams('', opts.scopes ? { scopes: opts.scopes } : {}),
		auth,
	} as Params
	const device = await deviceBlock(dev, params, nonce, opts.signing)
	const res = await wire.request('connect', { ...params, device })
	return { res, wire }
}
