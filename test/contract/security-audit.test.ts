// `npm run security:audit` (scripts/security-audit.mjs) as a user runs it: `--help` audits
// nothing, an unknown option is a usage error, a deployment it cannot reach fails the audit
// instead of passing it, `--files-only` leaves the deployment out, and `--url <url>` (the form with
// a space) asks the running gateway.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { ADMIN_TOKEN } from '../admin-token.js'

const root = join(import.meta.dirname, '..', '..')

function audit(args: string[], env: Record<string, string> = {}) {
	const run = spawnSync(process.execPath, [join(root, 'scripts', 'security-audit.mjs'), ...args], {
		cwd: root,
		encoding: 'utf8',
		env: { ...process.env, EDGECLAW_ADMIN_TOKEN: '', ...env },
	})
	return { status: run.status, out: `${run.stdout}${run.stderr}` }
}

describe('npm run security:audit', () => {
	it('--help prints the usage and audits nothing', () => {
		const { status, out } = audit(['--help'])
		expect(status).toBe(0)
		expect(out).toContain('usage: npm run security:audit')
		expect(out).not.toContain('edgeclaw security audit')
	})

	it('refuses an unknown option (exit 2)', () => {
		const { status, out } = audit(['--uri', 'http://127.0.0.1:1'])
		expect(status).toBe(2)
		expect(out).toContain("Unknown option '--uri'")
	})

	it('fails when the deployment cannot be reached, saying so', () => {
		const { status, out } = audit(['--url', 'http://127.0.0.1:1'])
		expect(status).toBe(1)
		expect(out).toContain('NOT CHECKED: http://127.0.0.1:1 is not reachable')
		expect(out).toContain('the deployment was not checked: exit 1')
	})

	it('--files-only checks the files alone', () => {
		const { out } = audit(['--files-only', '--url', 'http://127.0.0.1:1'])
		expect(out).toContain('deployment: not checked (--files-only)')
		expect(out).not.toContain('not reachable')
	})

	it('--url <url> asks the running gateway with the admin token', () => {
		const url = inject('baseUrl')
		const { status, out } = audit(['--url', url], { EDGECLAW_ADMIN_TOKEN: ADMIN_TOKEN })
		expect(out).toContain(`deployment: checked ${url}`)
		expect(status).toBe(/^HIGH /m.test(out) ? 1 : 0)
	})
})
