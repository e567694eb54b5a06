// `npm run deploy` (scripts/deploy.mjs) against fake `wrangler` and `npm` commands first on PATH
// and a fake deployed Worker on loopback: which commands it runs, in which order, with which
// environment, and where it stops. Nothing reaches Cloudflare; the fakes log their arguments and
// answer as the real ones would.
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const ALL_SECRETS = ['EDGECLAW_ADMIN_TOKEN', 'EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY']
const PROD_QUEUES = ['edgeclaw-tool-jobs-production', 'edgeclaw-tool-jobs-production-dlq']

let dir = ''
let server: Server | undefined
afterEach(async () => {
	if (dir) rmSync(dir, { recursive: true, force: true })
	await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
	server = undefined
})

interface Fake {
	loggedIn?: boolean
	secrets?: string[]
	gzipKiB?: number
	queues?: string[]
	databases?: string[]
}

/** A deployed Worker on loopback answering /health and /ready with the given statuses. */
async function worker(ready = 200): Promise<string> {
	server = createServer((req, res) => {
		res.statusCode = req.url === '/ready' ? ready : 200
		res.end('{}')
	})
	await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * Runs the deploy script with fakes that log each call (one line each) and answer as wrangler
 * does: a login, the secrets listed, a dry run's size line, the account's queues and databases.
 */
async function deploy(args: string[], fake: Fake = {}) {
	dir = mkdtempSync(join(tmpdir(), 'edgeclaw-deploy-'))
	const calls = join(dir, 'calls')
	const secrets = JSON.stringify((fake.secrets ?? ALL_SECRETS).map((name) => ({ name })))
	const databases = JSON.stringify((fake.databases ?? []).map((name) => ({ name, uuid: 'u' })))
	const queues = (fake.queues ?? []).map((q) => `│ id │ ${q} │ 0 │`).join('\\n')
	const script = (name: string, body: string) => {
		const file = join(dir, name)
		writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${calls}"\n${body}\n`)
		chmodSync(file, 0o755)
	}
	script(
		'wrangler',
		`case "$1 $2" in
  "whoami --json") ${fake.loggedIn === false ? `echo '{"loggedIn":false}'; exit 1` : `echo '{"loggedIn":true}'`} ;;
  "secret list") echo '${secrets}' ;;
  "deploy --dry-run") echo "Total Upload: 2601.34 KiB / gzip: ${fake.gzipKiB ?? 691.57} KiB" ;;
  "queues list") printf '${queues}\\n' ;;
  "d1 list") echo '${databases}' ;;
  deploy*) echo "Uploaded edgeclaw"; echo "  https://edgeclaw.example.workers.dev" ;;
esac
exit 0`,
	)
	script('npm', 'exit 0')
	const child = spawn(process.execPath, [join(root, 'scripts', 'deploy.mjs'), ...args], {
		cwd: root,
		env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
	})
	let out = ''
	child.stdout.on('data', (d) => (out += d))
	child.stderr.on('data', (d) => (out += d))
	const status = await new Promise<number | null>((resolve) => child.on('close', resolve))
	let logged: string[] = []
	try {
		logged = readFileSync(calls, 'utf8').trim().split('\n')
	} catch {}
	return { status, out, calls: logged }
}

const BEFORE = (env: string) => [
	'wrangler whoami --json',
	`wrangler secret list --format json --env ${env}`,
	'npm run build:web',
	`wrangler deploy --dry-run --containers-rollout=none --env ${env} --outdir dist/worker-${env}`,
]

describe('npm run deploy', () => {
	it('--dry-run builds and bundles the environment, needs no account, and prints the size', async () => {
		const { status, out, calls } = await deploy(['--dry-run', '--env', 'staging'])
		expect(status).toBe(0)
		expect(calls).toEqual([
			'npm run build:web',
			'wrangler deploy --dry-run --containers-rollout=none --env staging --outdir dist/worker-staging',
		])
		expect(out).toContain('gzip 691.57 KiB (budget 1024 KiB gzip)')
		expect(out).toContain('nothing was deployed')
	})

	it('--dry-run --every-env builds the web app once and bundles the top level and each environment', async () => {
		const { status, out, calls } = await deploy(['--dry-run', '--every-env'])
		expect(status).toBe(0)
		expect(calls).toEqual([
			'npm run build:web',
			'wrangler deploy --dry-run --containers-rollout=none --outdir dist/worker',
			'wrangler deploy --dry-run --containers-rollout=none --env staging --outdir dist/worker-staging',
			'wrangler deploy --dry-run --containers-rollout=none --env production --outdir dist/worker-production',
		])
		expect(out.match(/gzip 691\.57 KiB/g)).toHaveLength(3)
	})

	it('--every-env refuses an --env or a real deploy', async () => {
		for (const args of [['--every-env'], ['--dry-run', '--every-env', '--env', 'staging']]) {
			const { status, out, calls } = await deploy(args)
			expect(status).toBe(2)
			expect(out).toContain('--every-env goes with --dry-run alone')
			expect(calls).toEqual([])
		}
	})

	it('--dry-run fails a bundle over its budget', async () => {
		const { status, out } = await deploy(['--dry-run'], { gzipKiB: 1030 })
		expect(status).toBe(1)
		expect(out).toContain('over its budget by 6.00 KiB gzip')
	})

	it('checks first, creates a missing queue, applies pending migrations, deploys, then asks /ready', async () => {
		const url = await worker()
		const { status, out, calls } = await deploy(['--env', 'production', '--url', url], {
			queues: [PROD_QUEUES[0] as string],
			databases: ['edgeclaw-production'],
		})
		expect(status).toBe(0)
		expect(calls).toEqual([
			...BEFORE('production'),
			'wrangler queues list',
			'wrangler queues create edgeclaw-tool-jobs-production-dlq',
			'wrangler d1 list --json',
			'wrangler d1 migrations list DB --remote --env production',
			'wrangler d1 migrations apply DB --remote --env production',
			'wrangler deploy --env production',
		])
		expect(out).toContain(`the production environment is deployed and healthy at ${url}`)
	})

	it('on a first deploy applies the migrations after it, the deploy having created the database', async () => {
		const url = await worker()
		const { status, calls } = await deploy(['--env', 'staging', '--url', url], {
			queues: ['edgeclaw-tool-jobs-staging', 'edgeclaw-tool-jobs-staging-dlq'],
		})
		expect(status).toBe(0)
		expect(calls.slice(BEFORE('staging').length)).toEqual([
			'wrangler queues list',
			'wrangler d1 list --json',
			'wrangler deploy --env staging',
			'wrangler d1 migrations apply DB --remote --env staging',
		])
	})

	it('stops before anything changes when not logged in', async () => {
		const { status, out, calls } = await deploy([], { loggedIn: false })
		expect(status).toBe(1)
		expect(calls).toEqual(['wrangler whoami --json'])
		expect(out).toContain('npx wrangler login')
	})

	it('stops before anything changes when a secret is missing, and names it', async () => {
		const { status, out, calls } = await deploy([], { secrets: ALL_SECRETS.slice(0, 2) })
		expect(status).toBe(1)
		expect(calls).toEqual(['wrangler whoami --json', 'wrangler secret list --format json'])
		expect(out).toContain('EDGECLAW_AUDIT_KEY')
		expect(out).toContain('check the secrets of the top level failed')
	})

	it('fails a deploy whose /ready does not answer 200, with how to roll back', async () => {
		const url = await worker(503)
		const { status, out } = await deploy(['--url', url, '--smoke-wait', '0'], {
			queues: ['edgeclaw-tool-jobs', 'edgeclaw-tool-jobs-dlq'],
			databases: ['edgeclaw'],
		})
		expect(status).toBe(1)
		expect(out).toContain(`deployed, but ${url} is not healthy (/health 200, /ready 503)`)
		expect(out).toContain('npx wrangler rollback')
	})

	it('refuses an unknown option or environment, running nothing', async () => {
		const unknown = await deploy(['--envv', 'staging'])
		expect(unknown.status).toBe(2)
		expect(unknown.out).toContain('usage: npm run deploy')
		expect(unknown.calls).toEqual([])
		const env = await deploy(['--env', 'qa'])
		expect(env.status).toBe(1)
		expect(env.out).toContain('wrangler.toml has no [env.qa]; environments: staging, production')
		expect(env.calls).toEqual([])
	})
})
