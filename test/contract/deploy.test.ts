// `npm run deploy` (scripts/deploy.mjs) against fake `wrangler` and `npm` commands first on PATH:
// which commands it runs, in which order, with which environment, and where it stops. Nothing
// reaches Cloudflare; the fakes log their arguments and answer as the real ones would.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const ALL_SECRETS = ['EDGECLAW_ADMIN_TOKEN', 'EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY']

let dir = ''
afterEach(() => {
	if (dir) rmSync(dir, { recursive: true, force: true })
})

/**
 * Runs the deploy script with fakes that log each call to `calls` (one line each) and answer:
 * `secret list` with `secrets`, a dry run with wrangler's size line, anything else with success.
 */
function deploy(args: string[], fake: { secrets?: string[]; gzipKiB?: number } = {}) {
	dir = mkdtempSync(join(tmpdir(), 'edgeclaw-deploy-'))
	const calls = join(dir, 'calls')
	const secrets = JSON.stringify((fake.secrets ?? ALL_SECRETS).map((name) => ({ name })))
	const script = (name: string, body: string) => {
		const file = join(dir, name)
		writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${calls}"\n${body}\n`)
		chmodSync(file, 0o755)
	}
	script(
		'wrangler',
		`case "$1 $2" in
  "secret list") echo '${secrets}' ;;
  "deploy --dry-run") echo "Total Upload: 2601.34 KiB / gzip: ${fake.gzipKiB ?? 691.57} KiB"; echo "--dry-run: exiting now." ;;
esac
exit 0`,
	)
	script('npm', 'exit 0')
	const run = spawnSync(process.execPath, [join(root, 'scripts', 'deploy.mjs'), ...args], {
		cwd: root,
		encoding: 'utf8',
		env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
	})
	let logged: string[] = []
	try {
		logged = readFileSync(calls, 'utf8').trim().split('\n')
	} catch {}
	return { status: run.status, out: `${run.stdout}${run.stderr}`, calls: logged }
}

describe('npm run deploy', () => {
	it('--dry-run builds and bundles the environment, needs no account, and prints the size', () => {
		const { status, out, calls } = deploy(['--dry-run', '--env', 'staging'])
		expect(status).toBe(0)
		expect(calls).toEqual([
			'npm run build:web',
			'wrangler deploy --dry-run --containers-rollout=none --env staging --outdir dist/worker-staging',
		])
		expect(out).toContain('gzip 691.57 KiB (budget 1024 KiB gzip); nothing was deployed')
	})

	it('--dry-run fails a bundle over its budget', () => {
		const { status, out } = deploy(['--dry-run'], { gzipKiB: 1030 })
		expect(status).toBe(1)
		expect(out).toContain('over its budget by 6.00 KiB gzip')
	})

	it('checks the secrets, builds, deploys, then applies the migrations, all in the environment', () => {
		const { status, calls } = deploy(['--env', 'production'])
		expect(status).toBe(0)
		expect(calls).toEqual([
			'wrangler secret list --format json --env production',
			'npm run build:web',
			'wrangler deploy --env production',
			'wrangler d1 migrations apply DB --remote --env production',
		])
	})

	it('stops before anything changes when a secret is missing, and names it', () => {
		const { status, out, calls } = deploy([], { secrets: ALL_SECRETS.slice(0, 2) })
		expect(status).toBe(1)
		expect(calls).toEqual(['wrangler secret list --format json'])
		expect(out).toContain('EDGECLAW_AUDIT_KEY')
		expect(out).toContain('check the secrets of the top level failed')
	})

	it('refuses an unknown option with a usage line (exit 2), running nothing', () => {
		const { status, out, calls } = deploy(['--envv', 'staging'])
		expect(status).toBe(2)
		expect(out).toContain('usage: npm run deploy')
		expect(calls).toEqual([])
	})
})
