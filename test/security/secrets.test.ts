// Tenant secrets at rest and the rule of who may use which secret (src/security/secrets.ts): pure,
// no D1 and no gateway. The sealed value is bound to its tenant and name; the rule is the one the
// gateway applies when a config is saved and the runtime applies at every call.
import { describe, expect, it } from 'vitest'
import { keyRing } from '../../src/security/credentials'
import {
	decryptSecret,
	encryptSecret,
	ignoredSharedEntries,
	importSecretsKey,
	keyIdOf,
	keyMaterialProblem,
	type SecretsKey,
	secretSource,
	sharedSecrets,
} from '../../src/security/secrets'

const KEY_A = btoa('a'.repeat(32))
const KEY_B = btoa('b'.repeat(32))

async function key(text: string): Promise<SecretsKey> {
	const k = await importSecretsKey(text)
	if (typeof k === 'string') throw new Error(k)
	return k
}

const slot = { tenantId: 'acme', name: 'OPENROUTER_KEY' }

describe('sealing', () => {
	it('round-trips a value and never stores it in the clear', async () => {
		const k = await key(KEY_A)
		const sealed = await encryptSecret(k, slot, 'sk-or-v1-very-secret')
		expect(JSON.stringify(sealed)).not.toContain('very-secret')
		expect(await decryptSecret([k], slot, sealed)).toEqual({
			ok: true,
			value: 'sk-or-v1-very-secret',
		})
		// A fresh nonce every time: the same value seals differently.
		const again = await encryptSecret(k, slot, 'sk-or-v1-very-secret')
		expect(again.iv).not.toBe(sealed.iv)
		expect(again.ciphertext).not.toBe(sealed.ciphertext)
	})

	it('names the key by the first 16 hex digits of SHA-256 of the raw key', async () => {
		const raw = new TextEncoder().encode('a'.repeat(32))
		const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw))
		const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
		expect((await key(KEY_A)).id).toBe(hex.slice(0, 16))
		expect(await keyIdOf(raw)).toBe(hex.slice(0, 16))
		expect((await key(KEY_B)).id).not.toBe((await key(KEY_A)).id)
	})

	it('binds the ciphertext to its tenant and name: a copied row does not open', async () => {
		const k = await key(KEY_A)
		const sealed = await encryptSecret(k, slot, 'value-1')
		expect(await decryptSecret([k], { ...slot, tenantId: 'other' }, sealed)).toEqual({
			ok: false,
			reason: 'corrupt',
		})
		expect(await decryptSecret([k], { ...slot, name: 'ANTHROPIC_API_KEY' }, sealed)).toEqual({
			ok: false,
			reason: 'corrupt',
		})
		// The separator cannot be forged by moving characters between tenant and name.
		const shifted = { tenantId: 'acmeO', name: 'PENROUTER_KEY' }
		expect((await decryptSecret([k], shifted, sealed)).ok).toBe(false)
	})

	it('refuses a tampered ciphertext or nonce, and a row under a key it does not have', async () => {
		const k = await key(KEY_A)
		const sealed = await encryptSecret(k, slot, 'value-1')
		const bytes = Uint8Array.from(atob(sealed.ciphertext), (c) => c.charCodeAt(0))
		bytes[0] = (bytes[0] ?? 0) ^ 1
		const flipped = { ...sealed, ciphertext: btoa(String.fromCharCode(...bytes)) }
		expect((await decryptSecret([k], slot, flipped)).ok).toBe(false)
		const otherIv = { ...sealed, iv: btoa('x'.repeat(12)) }
		expect((await decryptSecret([k], slot, otherIv)).ok).toBe(false)
		const b = await key(KEY_B)
		expect(await decryptSecret([b], slot, sealed)).toEqual({
			ok: false,
			reason: 'unknown_key',
			keyId: k.id,
		})
		// A wrong key that claims the right id still fails (GCM's tag), never yields garbage.
		expect((await decryptSecret([{ id: k.id, key: b.key }], slot, sealed)).ok).toBe(false)
	})

	it('opens rows under the previous key while new ones go under the current', async () => {
		const [current, previous] = [await key(KEY_B), await key(KEY_A)]
		const old = await encryptSecret(previous, slot, 'from-before')
		expect(await decryptSecret([current, previous], slot, old)).toEqual({
			ok: true,
			value: 'from-before',
		})
		expect((await encryptSecret(current, slot, 'new')).keyId).toBe(current.id)
	})

	it('imports the key ring once for concurrent first callers, and again when the keys change', async () => {
		const env = { EDGECLAW_SECRETS_KEY: btoa('c'.repeat(32)), EDGECLAW_SECRETS_KEY_PREVIOUS: KEY_A }
		const burst = await Promise.all(Array.from({ length: 10 }, () => keyRing(env)))
		expect(new Set(burst).size).toBe(1)
		expect(burst[0]?.all.map((k) => k.id)).toEqual([
			(await key(env.EDGECLAW_SECRETS_KEY)).id,
			(await key(KEY_A)).id,
		])
		expect(await keyRing(env)).toBe(burst[0])
		const rotated = await keyRing({ ...env, EDGECLAW_SECRETS_KEY: KEY_B })
		expect(rotated).not.toBe(burst[0])
		expect(rotated.all[0]?.id).toBe((await key(KEY_B)).id)
	})

	it('accepts only 32 bytes of base64 as a key', async () => {
		expect(keyMaterialProblem(KEY_A)).toBeUndefined()
		expect(keyMaterialProblem(undefined)).toBe('unset')
		expect(keyMaterialProblem('  ')).toBe('unset')
		expect(keyMaterialProblem('replace-with-32-random-bytes-base64')).toBe('not_base64')
		expect(keyMaterialProblem(btoa('short'))).toBe('wrong_length')
		expect(keyMaterialProblem(btoa('x'.repeat(33)))).toBe('wrong_length')
		expect(await importSecretsKey('')).toBe('unset')
	})
})

describe('which secret a config may use', () => {
	const shared = sharedSecrets(
		'ANTHROPIC_API_KEY, OPENAI_API_KEY,TEAM_CLAUDE:anthropic,EDGECLAW_ADMIN_TOKEN,EDGECLAW_AUDIT_KEY:openai,bad name,LOOSE_KEY,X:vertex',
	)
	const facts = { tenantHas: false, officialFor: 'anthropic', shared, deploymentHas: true }

	it('binds each shared name to one provider, and never shares an EDGECLAW_* name', () => {
		expect([...shared]).toEqual([
			['ANTHROPIC_API_KEY', 'anthropic'],
			['OPENAI_API_KEY', 'openai'],
			['TEAM_CLAUDE', 'anthropic'],
		])
		expect(ignoredSharedEntries('ANTHROPIC_API_KEY,LOOSE_KEY,X:vertex')).toEqual([
			'LOOSE_KEY',
			'X:vertex',
		])
		for (const name of ['EDGECLAW_ADMIN_TOKEN', 'EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY']) {
			expect(secretSource(name, facts)).toMatchObject({ ok: false, reason: 'reserved' })
			expect(secretSource(name, { ...facts, tenantHas: true })).toMatchObject({ ok: false })
		}
	})

	it("takes the tenant's own secret first, wherever it goes", () => {
		expect(secretSource('ANTHROPIC_API_KEY', { ...facts, tenantHas: true })).toEqual({
			ok: true,
			owner: 'tenant',
		})
		expect(
			secretSource('ANTHROPIC_API_KEY', { ...facts, tenantHas: true, officialFor: undefined }),
		).toEqual({ ok: true, owner: 'tenant' })
	})

	it("uses a shared secret only toward its own provider's official endpoint, and only when set", () => {
		expect(secretSource('ANTHROPIC_API_KEY', facts)).toEqual({ ok: true, owner: 'shared' })
		expect(secretSource('TEAM_CLAUDE', facts)).toEqual({ ok: true, owner: 'shared' })
		const custom = secretSource('ANTHROPIC_API_KEY', { ...facts, officialFor: undefined })
		expect(custom).toMatchObject({ ok: false, reason: 'shared_not_official' })
		expect(JSON.stringify(custom)).toContain('PUT /v1/secrets/ANTHROPIC_API_KEY')
		// Anthropic's key never goes to OpenAI's endpoint, official or not.
		expect(secretSource('ANTHROPIC_API_KEY', { ...facts, officialFor: 'openai' })).toMatchObject({
			ok: false,
			reason: 'shared_not_official',
		})
		expect(
			secretSource('OPENAI_API_KEY', { ...facts, officialFor: 'openai', deploymentHas: false }),
		).toMatchObject({
			ok: false,
			reason: 'shared_unset',
		})
	})

	it('refuses an unshared deployment secret as if it did not exist', () => {
		for (const name of ['TEST_PROVIDER_KEY', 'LOOSE_KEY']) {
			const refused = secretSource(name, facts)
			expect(refused).toMatchObject({ ok: false, reason: 'not_found' })
			expect(JSON.stringify(refused)).toContain(`PUT /v1/secrets/${name}`)
		}
	})
})
