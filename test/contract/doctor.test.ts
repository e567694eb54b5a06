// `edgeclaw doctor` (and `npm run security:audit`, its alias) as a user runs it in the checkout:
// `--help` audits nothing, an unknown option is a usage error, a gateway it cannot reach fails the
// check instead of passing it, `--files-only` leaves the gateway out, `--url <url>` asks the
// running gateway, and the CLI's config file readable by others is a high finding.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { ADMIN_TOKEN } from '../admin-token.js'

const root = join(import.meta.dirname, '..', '..')

function doctor(args: string[], env: Record<string, string> = {}) {
	const home = mkdtempSync(join(tmpdir(), 'edgeclaw-doctor-'))
	const run = spawnSync(process.execPath, [join(root, 'cli', 'bin.mjs'), 'doctor', ...args], {
		cwd: root,
		encoding: 'utf8',
		env: {
			...process.env,
			NO_COLOR: '1',
			EDGECLAW_CONFIG: join(home, 'config.json'),
			EDGECLAW_URL: '',
			EDGECLAW_TOKEN: '',
			EDGECLAW_ADMIN_TOKEN: '',
			...env,
		},
	})
	return { status: run.status, out: `${run.stdout}${run.stderr}` }
}

describe('edgeclaw doctor', () => {
	it('npm run security:audit is this command', async () => {
		const { scripts } = (await import('../../package.json', { with: { type: 'json' } })).default
		expect(scripts['security:audit']).toBe('node cli/bin.mjs doctor')
	})

	it('--help prints the usage and checks nothing', () => {
		const { status, out } = doctor(['--help'])
		expect(status).toBe(0)
		expect(out).toContain('Usage: edgeclaw doctor')
		expect(out).not.toContain('edgeclaw doctor —')
	})

	it('refuses an unknown option (exit 2)', () => {
		const { status, out } = doctor(['--uri', 'http://127.0.0.1:1'])
		expect(status).toBe(2)
		expect(out).toContain("unknown option '--uri'")
	})

	it('fails when the gateway cannot be reached, saying so', () => {
		const { status, out } = doctor(['--url', 'http://127.0.0.1:1'])
		expect(status).toBe(1)
		expect(out).toContain('NOT CHECKED: http://127.0.0.1:1 is not reachable')
		expect(out).toContain('the gateway was not checked: exit 1')
	})

	it('--files-only checks the config and the files alone', () => {
		const { status, out } = doctor(['--files-only', '--url', 'http://127.0.0.1:1'])
		expect(out).toContain('files: checked; gateway: not checked (--files-only)')
		expect(out).not.toContain('not reachable')
		expect(status).toBe(/^HIGH /m.test(out) ? 1 : 0)
	})

	it('a config file others can read is a high finding (exit 1)', () => {
		const home = mkdtempSync(join(tmpdir(), 'edgeclaw-doctor-'))
		const config = join(home, 'config.json')
		writeFileSync(config, JSON.stringify({ url: 'http://127.0.0.1:1', token: 'x' }))
		chmodSync(config, 0o644)
		const { status, out } = doctor(['--files-only'], { EDGECLAW_CONFIG: config })
		expect(status).toBe(1)
		expect(out).toMatch(/^HIGH {3}config-readable-by-others/m)
		expect(out).toContain(`fix: chmod 600 ${config}`)
	})

	it('--url <url> asks the running gateway with the admin token', () => {
		const url = inject('baseUrl')
		const { status, out } = doctor(['--url', url], { EDGECLAW_ADMIN_TOKEN: ADMIN_TOKEN })
		expect(out).toContain(`gateway: checked ${url}`)
		expect(status).toBe(/^HIGH /m.test(out) ? 1 : 0)
	})
})
