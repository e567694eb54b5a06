#!/usr/bin/env node
// `npm run security:audit`: risky configuration, like `openclaw security audit`. Checks the
// project's own files (wrangler.toml, .dev.vars, .gitignore), then — when a gateway answers
// (`--url`, default http://127.0.0.1:8787) — asks its GET /v1/admin/security for what only the
// running deployment knows (secrets set, tenants' agents and keys). Exits 1 on any high finding,
// and when the deployment could not be checked (unreachable, or it refused the token) unless
// `--files-only` says not to ask it; 2 on a usage error.
//   npm run security:audit -- --url https://edgeclaw.example.workers.dev   (token: EDGECLAW_ADMIN_TOKEN)
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { needsValue } from './local-secrets.mjs'

const USAGE = `usage: npm run security:audit [-- [--url <gateway url>] [--files-only]]
  --url <url>    the deployment to ask (default http://127.0.0.1:8787); its admin token comes from
                 EDGECLAW_ADMIN_TOKEN, else from .dev.vars
  --files-only   check the project's files only, not a running deployment
  --help         this text
exit: 0 no high finding, 1 a high finding or the deployment could not be checked, 2 usage`

/** @type {{ url?: string, 'files-only'?: boolean, help?: boolean }} */
let options
try {
	options = parseArgs({
		options: {
			url: { type: 'string' },
			'files-only': { type: 'boolean' },
			help: { type: 'boolean', short: 'h' },
		},
		strict: true,
	}).values
} catch (error) {
	console.error(`security:audit: ${error instanceof Error ? error.message : String(error)}`)
	console.error(USAGE)
	process.exit(2)
}
if (options.help) {
	console.log(USAGE)
	process.exit(0)
}
const url = (options.url ?? 'http://127.0.0.1:8787').replace(/\/+$/, '')
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** @typedef {{ id: string, severity: 'high'|'medium'|'low', message: string, fix: string }} Finding */
/** @type {(Finding & { source: string })[]} */
const findings = []
const add = (/** @type {Finding} */ f) => findings.push({ source: 'files', ...f })

const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
for (const name of [
	'RATE_LIMIT_KEY',
	'RATE_LIMIT_TENANT',
	'RATE_LIMIT_IP',
	'RATE_LIMIT_AUTH_FAIL',
]) {
	if (!new RegExp(`\\[\\[ratelimits\\]\\][^\\[]*name\\s*=\\s*"${name}"`).test(toml)) {
		add({
			id: `rate-limit-missing:${name}`,
			severity: 'high',
			message: `wrangler.toml has no ${name} binding.`,
			fix: 'Restore the [[ratelimits]] block.',
		})
	}
}
const cors = /EDGECLAW_CORS_ORIGINS\s*=\s*"([^"]*)"/.exec(toml)?.[1] ?? ''
if (cors.split(',').some((o) => o.trim() === '*')) {
	add({
		id: 'cors-wildcard',
		severity: 'medium',
		message: 'EDGECLAW_CORS_ORIGINS is "*".',
		fix: 'List exact origins.',
	})
}
if (/^\s*EDGECLAW_DEV_ALLOW_LOOPBACK\s*=\s*"1"/m.test(toml)) {
	add({
		id: 'dev-loopback-in-wrangler-toml',
		severity: 'high',
		message:
			'wrangler.toml sets EDGECLAW_DEV_ALLOW_LOOPBACK = "1": a deployment would let tenant URLs reach loopback over http.',
		fix: 'Keep it "" in wrangler.toml; turn it on in .dev.vars for local development only.',
	})
}
const shared = /EDGECLAW_SHARED_SECRETS\s*=\s*"([^"]*)"/.exec(toml)?.[1] ?? ''
const reserved = shared
	.split(',')
	.map((n) => n.trim())
	.filter((n) => n.startsWith('EDGECLAW_'))
if (reserved.length > 0) {
	add({
		id: 'shared-secrets-reserved',
		severity: 'high',
		message: `wrangler.toml shares ${reserved.join(', ')} with tenants (the gateway ignores EDGECLAW_* names).`,
		fix: 'Remove every EDGECLAW_* name from EDGECLAW_SHARED_SECRETS.',
	})
}
const gitignore = existsSync(join(root, '.gitignore'))
	? readFileSync(join(root, '.gitignore'), 'utf8')
	: ''
if (!/^\.dev\.vars$/m.test(gitignore)) {
	add({
		id: 'dev-vars-not-ignored',
		severity: 'high',
		message: '.dev.vars (local secrets) is not in .gitignore.',
		fix: 'Add ".dev.vars" to .gitignore.',
	})
}
const devVars = existsSync(join(root, '.dev.vars'))
	? readFileSync(join(root, '.dev.vars'), 'utf8')
	: ''
const localToken = /^EDGECLAW_ADMIN_TOKEN=(.*)$/m.exec(devVars)?.[1]?.trim()
if (localToken !== undefined && localToken.length < 24) {
	add({
		id: 'local-admin-token-weak',
		severity: 'medium',
		message: `The local admin token in .dev.vars is ${localToken.length} characters.`,
		fix: 'Delete the line; `npm run dev` creates a strong one.',
	})
}

if (devVars !== '') {
	for (const [name, kind] of /** @type {const} */ ([
		['EDGECLAW_SECRETS_KEY', 'key'],
		['EDGECLAW_AUDIT_KEY', 'key'],
	])) {
		const local = new RegExp(`^${name}=(.*)$`, 'm').exec(devVars)?.[1]?.trim()
		if (needsValue(kind, local)) {
			add({
				id: `local-${name.slice('EDGECLAW_'.length).toLowerCase().replaceAll('_', '-')}-unset`,
				severity: 'medium',
				message: `.dev.vars has no usable ${name} (32 random bytes, base64).`,
				fix: '`npm run dev` fills it in.',
			})
		}
	}
}

const token = process.env.EDGECLAW_ADMIN_TOKEN ?? localToken
let live = 'not checked (--files-only)'
let liveChecked = options['files-only'] === true
if (!liveChecked) {
	try {
		const res = await fetch(`${url}/v1/admin/security`, {
			headers: token ? { authorization: `Bearer ${token}` } : {},
			signal: AbortSignal.timeout(3_000),
		})
		if (res.ok) {
			const body = /** @type {{ findings: Finding[] }} */ (await res.json())
			for (const f of body.findings) findings.push({ ...f, source: url })
			live = `checked ${url}`
			liveChecked = true
		} else live = `NOT CHECKED: ${url} answered ${res.status} (set EDGECLAW_ADMIN_TOKEN?)`
	} catch (error) {
		const why = error instanceof Error ? (error.cause ?? error).toString() : String(error)
		live = `NOT CHECKED: ${url} is not reachable (${why}); start \`npm run dev\`, pass --url <url>, or --files-only`
	}
}

const order = { high: 0, medium: 1, low: 2 }
findings.sort((a, b) => order[a.severity] - order[b.severity])
console.log(`edgeclaw security audit — files checked; deployment: ${live}\n`)
if (findings.length === 0) console.log(liveChecked ? 'no findings' : 'no findings in the files')
for (const f of findings) {
	console.log(
		`${f.severity.toUpperCase().padEnd(6)} ${f.id}  [${f.source}]\n       ${f.message}\n       fix: ${f.fix}`,
	)
}
if (!liveChecked) console.log('\nthe deployment was not checked: exit 1')
process.exitCode = findings.some((f) => f.severity === 'high') || !liveChecked ? 1 : 0
