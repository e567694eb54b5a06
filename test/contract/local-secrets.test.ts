// The deployment's own secrets, locally and on deploy (scripts/local-secrets.mjs): what `npm run
// dev` writes into `.dev.vars`, and what deploy's preflight decides from `wrangler secret list`.
// Pure logic, tested here because this suite runs in Node; the preflight was not run against a
// Cloudflare account — its decision is checked on recorded command output.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { completeDevVars, missingDeploySecrets, needsValue } from '../../scripts/local-secrets.mjs'

let n = 0
/** Deterministic "random" bytes, different on every call. */
const random = (bytes: number) => Buffer.alloc(bytes, ++n)
const root = join(import.meta.dirname, '..', '..')
const value = (text: string, name: string) =>
	new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1] ?? undefined

describe('.dev.vars', () => {
	it('from the example: every placeholder gets a real value, comments stay', () => {
		const example = readFileSync(join(root, '.dev.vars.example'), 'utf8')
		const { text, replaced, added } = completeDevVars(example, random)
		expect(replaced).toEqual(['EDGECLAW_ADMIN_TOKEN', 'EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY'])
		expect(added).toEqual([])
		expect(text).not.toContain('replace-with')
		for (const line of example.split('\n').filter((l) => l.startsWith('#'))) {
			expect(text).toContain(line)
		}
		expect(Buffer.from(value(text, 'EDGECLAW_SECRETS_KEY') ?? '', 'base64')).toHaveLength(32)
		expect(Buffer.from(value(text, 'EDGECLAW_AUDIT_KEY') ?? '', 'base64')).toHaveLength(32)
		expect((value(text, 'EDGECLAW_ADMIN_TOKEN') ?? '').length).toBeGreaterThanOrEqual(40)
		expect(value(text, 'EDGECLAW_SECRETS_KEY')).not.toBe(value(text, 'EDGECLAW_AUDIT_KEY'))
	})

	it('written by hand: missing lines are appended, every line of yours is kept as written', () => {
		const token = 'my-own-admin-token-that-is-long-enough'
		const mine = `# mine\nEDGECLAW_ADMIN_TOKEN="${token}"\nANTHROPIC_API_KEY=sk-ant-local\n`
		const { text, added, replaced } = completeDevVars(mine, random)
		expect(added).toEqual(['EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY'])
		expect(replaced).toEqual([])
		expect(text.startsWith(mine)).toBe(true)
		// Complete already: nothing changes.
		expect(completeDevVars(text, random)).toEqual({ text, added: [], replaced: [] })
	})

	it('replaces a value that cannot work: empty, short token, key of the wrong size', () => {
		const broken =
			'EDGECLAW_ADMIN_TOKEN=\nEDGECLAW_SECRETS_KEY=c2hvcnQ=\nEDGECLAW_AUDIT_KEY=not base64!\n'
		const { replaced } = completeDevVars(broken, random)
		expect(replaced).toEqual(['EDGECLAW_ADMIN_TOKEN', 'EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY'])
		expect(needsValue('token', 'short')).toBe(true)
		expect(needsValue('key', Buffer.alloc(32, 7).toString('base64'))).toBe(false)
		expect(needsValue('key', Buffer.alloc(31, 7).toString('base64'))).toBe(true)
	})
})

describe('deploy preflight', () => {
	const all = [
		{ name: 'ANTHROPIC_API_KEY', type: 'secret_text' },
		{ name: 'EDGECLAW_ADMIN_TOKEN', type: 'secret_text' },
		{ name: 'EDGECLAW_AUDIT_KEY', type: 'secret_text' },
		{ name: 'EDGECLAW_SECRETS_KEY', type: 'secret_text' },
	]

	it('goes ahead when wrangler lists every required secret', () => {
		expect(missingDeploySecrets(JSON.stringify(all))).toEqual([])
	})

	it('refuses, naming each missing secret', () => {
		const some = all.filter(
			(s) => s.name !== 'EDGECLAW_SECRETS_KEY' && s.name !== 'EDGECLAW_AUDIT_KEY',
		)
		expect(missingDeploySecrets(JSON.stringify(some))).toEqual([
			'EDGECLAW_SECRETS_KEY',
			'EDGECLAW_AUDIT_KEY',
		])
		expect(missingDeploySecrets('[]')).toEqual([
			'EDGECLAW_ADMIN_TOKEN',
			'EDGECLAW_SECRETS_KEY',
			'EDGECLAW_AUDIT_KEY',
		])
	})

	it('reads the non-JSON listing too, and a name inside another name does not count', () => {
		const pretty = 'Secret Name: EDGECLAW_ADMIN_TOKEN\nSecret Name: EDGECLAW_SECRETS_KEY\n'
		expect(missingDeploySecrets(pretty)).toEqual(['EDGECLAW_AUDIT_KEY'])
		const lookalike = JSON.stringify([{ name: 'OLD_EDGECLAW_AUDIT_KEY' }])
		expect(missingDeploySecrets(lookalike)).toContain('EDGECLAW_AUDIT_KEY')
	})
})
