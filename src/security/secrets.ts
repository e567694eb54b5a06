// Tenant secrets at rest and the rule of who may use which secret. Pure: keys, values and names
// are passed in, so the crypto and the rule are tested without the runtime. AES-256-GCM (WebCrypto)
// under the deployment's data key; the additional data binds a ciphertext to its tenant and name.
import { decodeBase64, encodeBase64, hex } from './bytes'

/** A secret's NAME (never its value), as configs and the secrets API write it. */
export const SECRET_NAME_PATTERN = /^[A-Z][A-Z0-9_]{0,127}$/

/** Names the deployment keeps for itself: no tenant config can reach them, no tenant can store one. */
export const RESERVED_PREFIX = 'EDGECLAW_'

/** Largest value a tenant may store (UTF-8 bytes): provider keys and tokens, not documents. */
export const MAX_SECRET_BYTES = 8_192

/** Bytes of the data key (AES-256). */
export const KEY_BYTES = 32

export const isReservedName = (name: string): boolean => name.startsWith(RESERVED_PREFIX)

/** A data key ready for use, with the id every row sealed under it carries. */
export interface SecretsKey {
	id: string
	key: CryptoKey
}

/** A value as stored: which key, the nonce and the ciphertext with its tag (base64). */
export interface SealedSecret {
	keyId: string
	iv: string
	ciphertext: string
}

/** Where a value belongs; part of the additional authenticated data. */
export interface SecretSlot {
	tenantId: string
	name: string
}

export type KeyProblem = 'unset' | 'not_base64' | 'wrong_length'

/**
 * Why a key setting (EDGECLAW_SECRETS_KEY, EDGECLAW_AUDIT_KEY) is unusable, or undefined when it
 * is 32 bytes of base64. Also used by the posture report.
 */
export function keyMaterialProblem(value: string | undefined): KeyProblem | undefined {
	const bytes = decodeKey(value)
	return typeof bytes === 'string' ? bytes : undefined
}

function decodeKey(value: string | undefined): Uint8Array | KeyProblem {
	const text = value?.trim() ?? ''
	if (text === '') return 'unset'
	if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return 'not_base64'
	const bytes = decodeBase64(text)
	if (!bytes) return 'not_base64'
	return bytes.length === KEY_BYTES ? bytes : 'wrong_length'
}

/** First 16 hex digits of SHA-256 of the raw key: names the key without revealing it. */
export async function keyIdOf(raw: Uint8Array): Promise<string> {
	return hex(await crypto.subtle.digest('SHA-256', raw)).slice(0, 16)
}

/** Imports a base64 data key; a KeyProblem when the setting is not 32 bytes of base64. */
export async function importSecretsKey(
	value: string | undefined,
): Promise<SecretsKey | KeyProblem> {
	const raw = decodeKey(value)
	if (typeof raw === 'string') return raw
	const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
	return { id: await keyIdOf(raw), key }
}

const additionalData = (slot: SecretSlot): Uint8Array =>
	new TextEncoder().encode(`edgeclaw-secret/v1\u0000${slot.tenantId}\u0000${slot.name}`)

/** Seals one value for one tenant and name; `iv` is random unless a test passes one. */
export async function encryptSecret(
	key: SecretsKey,
	slot: SecretSlot,
	value: string,
	iv: Uint8Array = crypto.getRandomValues(new Uint8Array(12)),
): Promise<SealedSecret> {
	const ciphertext = await crypto.subtle.encrypt(
		{ name: 'AES-GCM', iv, additionalData: additionalData(slot) },
		key.key,
		new TextEncoder().encode(value),
	)
	return {
		keyId: key.id,
		iv: encodeBase64(iv),
		ciphertext: encodeBase64(new Uint8Array(ciphertext)),
	}
}

export type Unsealed =
	| { ok: true; value: string }
	| { ok: false; reason: 'unknown_key'; keyId: string }
	| { ok: false; reason: 'corrupt' }

/**
 * Opens a sealed value with whichever of `keys` it names. `corrupt` covers a tampered row, a row
 * copied to another tenant or name, and a key id that matches but a key that does not.
 */
export async function decryptSecret(
	keys: readonly SecretsKey[],
	slot: SecretSlot,
	sealed: SealedSecret,
): Promise<Unsealed> {
	const key = keys.find((k) => k.id === sealed.keyId)
	if (!key) return { ok: false, reason: 'unknown_key', keyId: sealed.keyId }
	try {
		const plain = await crypto.subtle.decrypt(
			{ name: 'AES-GCM', iv: stored(sealed.iv), additionalData: additionalData(slot) },
			key.key,
			stored(sealed.ciphertext),
		)
		return {
			ok: true,
			value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plain),
		}
	} catch {
		return { ok: false, reason: 'corrupt' }
	}
}

/** Providers with an official endpoint a shared deployment key may be sent to. */
export const OFFICIAL_PROVIDERS = ['anthropic', 'openai'] as const

/** The default key of each built-in provider: a shared secret of this name belongs to it. */
export const BUILTIN_PROVIDER_KEYS: Readonly<Record<string, (typeof OFFICIAL_PROVIDERS)[number]>> =
	{
		ANTHROPIC_API_KEY: 'anthropic',
		OPENAI_API_KEY: 'openai',
	}

/**
 * EDGECLAW_SHARED_SECRETS parsed: each shared name and the provider whose official endpoint alone
 * may receive it. Entries are `NAME:provider` (`TEAM_CLAUDE_KEY:anthropic`) or a built-in default
 * name alone (`ANTHROPIC_API_KEY`). EDGECLAW_* names, malformed entries and names bound to no
 * provider with an official endpoint are dropped (the posture report names them).
 */
export function sharedSecrets(value: string | undefined): Map<string, string> {
	const out = new Map<string, string>()
	for (const entry of (value ?? '').split(',')) {
		const [name = '', provider, ...rest] = entry.split(':').map((p) => p.trim())
		if (rest.length > 0 || !SECRET_NAME_PATTERN.test(name) || isReservedName(name)) continue
		const bound = provider ?? BUILTIN_PROVIDER_KEYS[name]
		if (bound && (OFFICIAL_PROVIDERS as readonly string[]).includes(bound)) out.set(name, bound)
	}
	return out
}

/** The entries of EDGECLAW_SHARED_SECRETS that `sharedSecrets` drops. */
export function ignoredSharedEntries(value: string | undefined): string[] {
	const kept = sharedSecrets(value)
	return (value ?? '')
		.split(',')
		.map((e) => e.trim())
		.filter((e) => e !== '' && !kept.has(e.split(':')[0]?.trim() ?? ''))
}

/** Whose credential a request uses: the tenant's own, or a deployment secret the platform shares. */
export type SecretOwner = 'tenant' | 'shared'

export type SecretSource =
	| { ok: true; owner: SecretOwner }
	| {
			ok: false
			reason: 'reserved' | 'shared_not_official' | 'shared_unset' | 'not_found'
			message: string
	  }

export interface SourceFacts {
	/** The tenant has stored a secret of this name. */
	tenantHas: boolean
	/**
	 * The built-in provider whose own official endpoint the request goes to (`anthropic`,
	 * `openai`); undefined for a base URL the tenant chose, an openai-compatible provider or MCP.
	 */
	officialFor: string | undefined
	/** EDGECLAW_SHARED_SECRETS, parsed: name → the provider it belongs to. */
	shared: ReadonlyMap<string, string>
	/** The deployment has a non-empty value under this name. */
	deploymentHas: boolean
}

/**
 * The one rule for a secret a tenant config names, used when a config is saved and again at every
 * call: `EDGECLAW_*` never; the tenant's own secret first; else a deployment secret only when the
 * platform shares it and only toward the provider's official endpoint; nothing else.
 */
export function secretSource(name: string, facts: SourceFacts): SecretSource {
	if (isReservedName(name)) {
		return {
			ok: false,
			reason: 'reserved',
			message: `${name} is reserved for the deployment; no tenant config can name an ${RESERVED_PREFIX}* secret`,
		}
	}
	if (facts.tenantHas) return { ok: true, owner: 'tenant' }
	const provider = facts.shared.get(name)
	if (provider !== undefined) {
		if (facts.officialFor !== provider) {
			return {
				ok: false,
				reason: 'shared_not_official',
				message: `${name} is a shared deployment secret, sent only to ${provider}'s official endpoint, never to a custom base URL, another provider or an MCP server; store your own: PUT /v1/secrets/${name}`,
			}
		}
		if (facts.deploymentHas) return { ok: true, owner: 'shared' }
		return {
			ok: false,
			reason: 'shared_unset',
			message: `${name} is shared but not set in this deployment; store your own (PUT /v1/secrets/${name}) or ask the platform admin to set it`,
		}
	}
	return {
		ok: false,
		reason: 'not_found',
		message: `${name} is not a secret of this tenant: store it with PUT /v1/secrets/${name}, or ask the platform to share a deployment secret of that name`,
	}
}

/** A stored base64 column's bytes; a row that is not base64 is corrupt (caught by the caller). */
function stored(text: string): Uint8Array {
	const bytes = decodeBase64(text)
	if (!bytes) throw new TypeError('a sealed secret column is not base64')
	return bytes
}
