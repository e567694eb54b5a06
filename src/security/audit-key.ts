// The audit chain's keys, all derived (HKDF-SHA-256) from one Worker secret, EDGECLAW_AUDIT_KEY
// (32 random bytes, base64): the HMAC key of row hashes, an Ed25519 key that signs checkpoints,
// and a public key id that names both. EDGECLAW_AUDIT_KEY_PREVIOUS keeps rows and checkpoints of
// the key before a rotation verifiable. The secret never leaves this module.
import { decodeBase64, hex } from './bytes'
import { secret } from './env'

/** One audit key: its public id, the row HMAC key, the checkpoint signing key and its public half. */
export interface AuditKey {
	/** 16 hex characters of SHA-256 over a value derived from the key; names it, reveals nothing. */
	id: string
	mac: CryptoKey
	signing: CryptoKey
	/** The Ed25519 public key as a JWK (`kid` = id): what an operator verifies checkpoints with. */
	publicJwk: PublicJwk
}

export interface PublicJwk {
	kty: 'OKP'
	crv: 'Ed25519'
	x: string
	kid: string
	alg: 'EdDSA'
	use: 'sig'
}

/** The current key (appends, signs) and every key rows may be verified with, by id. */
export interface AuditKeyRing {
	current: AuditKey | undefined
	byId: ReadonlyMap<string, AuditKey>
	/** Why a configured variable was not usable, for the security report and `verify`. */
	problems: string[]
}

const MIN_KEY_BYTES = 32
const encoder = new TextEncoder()
/** PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): this prefix, then the seed. */
const ED25519_PKCS8_PREFIX = [
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]

async function derive(master: CryptoKey, purpose: string): Promise<ArrayBuffer> {
	return crypto.subtle.deriveBits(
		{
			name: 'HKDF',
			hash: 'SHA-256',
			salt: encoder.encode('edgeclaw audit'),
			info: encoder.encode(`edgeclaw/audit/${purpose}/v1`),
		},
		master,
		256,
	)
}

/** Derives an audit key from the secret's bytes. */
export async function deriveAuditKey(secret: Uint8Array): Promise<AuditKey> {
	const master = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits'])
	const [macBits, seed, idBits] = await Promise.all([
		derive(master, 'row-hmac'),
		derive(master, 'checkpoint-ed25519'),
		derive(master, 'key-id'),
	])
	const id = hex(await crypto.subtle.digest('SHA-256', idBits)).slice(0, 16)
	const mac = await crypto.subtle.importKey(
		'raw',
		macBits,
		{ name: 'HMAC', hash: 'SHA-256' },
		false,
		['sign', 'verify'],
	)
	const pkcs8 = new Uint8Array([...ED25519_PKCS8_PREFIX, ...new Uint8Array(seed)])
	// Imported extractable once, only to read the public half (`x`) off its JWK; the signing key
	// kept is a non-extractable import of the same seed.
	const exported = (await crypto.subtle.exportKey(
		'jwk',
		await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']),
	)) as JsonWebKey
	const signing = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, [
		'sign',
	])
	const publicJwk: PublicJwk = {
		kty: 'OKP',
		crv: 'Ed25519',
		x: exported.x as string,
		kid: id,
		alg: 'EdDSA',
		use: 'sig',
	}
	return { id, mac, signing, publicJwk }
}

const rings = new Map<string, Promise<AuditKeyRing>>()

async function buildRing(current: string, previous: string): Promise<AuditKeyRing> {
	const problems: string[] = []
	const load = async (name: string, value: string): Promise<AuditKey | undefined> => {
		if (!value) return undefined
		const bytes = decodeBase64(value)
		if (!bytes || bytes.length < MIN_KEY_BYTES) {
			problems.push(`${name} is not base64 of at least ${MIN_KEY_BYTES} bytes`)
			return undefined
		}
		try {
			return await deriveAuditKey(bytes)
		} catch (error) {
			// Unusable rather than fatal: the chain keeps appending (unkeyed) and verify says why.
			problems.push(
				`${name} could not be derived: ${error instanceof Error ? error.message : error}`,
			)
			return undefined
		}
	}
	const [now, before] = await Promise.all([
		load('EDGECLAW_AUDIT_KEY', current),
		load('EDGECLAW_AUDIT_KEY_PREVIOUS', previous),
	])
	const byId = new Map<string, AuditKey>()
	if (before) byId.set(before.id, before)
	if (now) byId.set(now.id, now)
	return { current: now, byId, problems }
}

/** The deployment's audit key ring from its environment (derived once per isolate). */
export function auditKeyRing(env: object): Promise<AuditKeyRing> {
	const str = (k: string) => (secret(env, k) ?? '').trim()
	const current = str('EDGECLAW_AUDIT_KEY')
	const previous = str('EDGECLAW_AUDIT_KEY_PREVIOUS')
	const cacheKey = `${current}\n${previous}`
	let ring = rings.get(cacheKey)
	if (!ring) {
		if (rings.size > 8) rings.clear()
		ring = buildRing(current, previous)
		rings.set(cacheKey, ring)
	}
	return ring
}
