// The credential a tenant config names, resolved at call time under the one rule (`secretSource`):
// the tenant's own secret first; a deployment secret only when the platform shares it and only
// toward the provider's official endpoint; never an EDGECLAW_* one. Model providers, MCP servers
// (and channels next) all resolve through here. Where the tenant's own secrets are kept is the
// caller's to say: src/db/credentials.ts reads them from D1.
import { secret } from './env'
import {
	decryptSecret,
	importSecretsKey,
	isReservedName,
	type KeyProblem,
	type SealedSecret,
	type SecretOwner,
	type SecretSlot,
	type SecretsKey,
	secretSource,
	sharedSecrets,
} from './secrets'

export interface CredentialRequest {
	tenantId: string
	/** The secret's NAME, as the config wrote it. */
	name: string
	/**
	 * The built-in provider whose own official endpoint the request goes to; undefined for URLs a
	 * tenant chose (custom base URLs, openai-compatible providers, MCP servers).
	 */
	officialFor: string | undefined
}

export type Credential =
	| { ok: true; value: string; owner: SecretOwner }
	| { ok: false; reason: string; message: string }

export interface Credentials {
	resolve(request: CredentialRequest): Promise<Credential>
}

/** The tenant's own secret of a name: none stored, its value, or why it cannot be opened. */
export type OwnSecret =
	| { state: 'none' }
	| { state: 'value'; value: string }
	| { state: 'unreadable'; message: string }

export interface KeyRing {
	/** The key new values are sealed under, or why there is none. */
	current: SecretsKey | KeyProblem
	/** Every usable key (current, then EDGECLAW_SECRETS_KEY_PREVIOUS): what rows can be opened with. */
	all: SecretsKey[]
}

/** The ring per key text, its import shared by concurrent first callers (one import per isolate). */
const rings = new Map<string, Promise<KeyRing>>()

/** The data keys from EDGECLAW_SECRETS_KEY and the optional EDGECLAW_SECRETS_KEY_PREVIOUS. */
export function keyRing(env: object): Promise<KeyRing> {
	const currentText = secret(env, 'EDGECLAW_SECRETS_KEY') ?? ''
	const previousText = secret(env, 'EDGECLAW_SECRETS_KEY_PREVIOUS') ?? ''
	const id = `${currentText}\u0000${previousText}`
	const known = rings.get(id)
	if (known) return known
	const ring = importRing(currentText, previousText)
	rings.clear()
	rings.set(id, ring)
	// A failed import is not kept: the next caller tries again.
	ring.catch(() => {
		if (rings.get(id) === ring) rings.delete(id)
	})
	return ring
}

async function importRing(currentText: string, previousText: string): Promise<KeyRing> {
	const current = await importSecretsKey(currentText)
	const previous = previousText ? await importSecretsKey(previousText) : 'unset'
	const all = [current, previous].filter((k): k is SecretsKey => typeof k !== 'string')
	return { current, all }
}

/** Opens the tenant's stored row (undefined: it has none) with the deployment's data keys. */
export async function openOwnSecret(
	env: object,
	slot: SecretSlot,
	sealed: SealedSecret | undefined,
): Promise<OwnSecret> {
	if (!sealed) return { state: 'none' }
	const ring = await keyRing(env)
	const opened = await decryptSecret(ring.all, slot, sealed)
	if (opened.ok) return { state: 'value', value: opened.value }
	const { name } = slot
	return {
		state: 'unreadable',
		message:
			opened.reason === 'unknown_key'
				? `the tenant secret ${name} is sealed under key ${opened.keyId}, which this deployment does not have (EDGECLAW_SECRETS_KEY / EDGECLAW_SECRETS_KEY_PREVIOUS)`
				: `the tenant secret ${name} cannot be decrypted; store it again (PUT /v1/secrets/${name})`,
	}
}

/**
 * The resolver over a deployment's environment (its shared secrets, by name) and `ownSecret`, the
 * reader of a tenant's own secrets.
 */
export function credentialsOver(
	env: object,
	ownSecret: (tenantId: string, name: string) => Promise<OwnSecret>,
): Credentials {
	return {
		async resolve({ tenantId, name, officialFor }) {
			const shared = sharedSecrets(secret(env, 'EDGECLAW_SHARED_SECRETS'))
			const deploymentValue = secret(env, name)
			const deploymentHas = deploymentValue !== undefined
			if (isReservedName(name)) {
				const refused = secretSource(name, { tenantHas: false, officialFor, shared, deploymentHas })
				if (!refused.ok) return refused
			}
			// A row that exists but cannot be opened fails closed: never fall back to a shared secret.
			const own = await ownSecret(tenantId, name)
			if (own.state === 'unreadable')
				return { ok: false, reason: 'unreadable', message: own.message }
			const source = secretSource(name, {
				tenantHas: own.state === 'value',
				officialFor,
				shared,
				deploymentHas,
			})
			if (!source.ok) return source
			if (own.state === 'value') return { ok: true, value: own.value, owner: 'tenant' }
			return { ok: true, value: deploymentValue as string, owner: 'shared' }
		},
	}
}
