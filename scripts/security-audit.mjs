#!/usr/bin/env node
// `npm run security:audit`: risky configuration, like `openclaw security audit`. Checks the
// project's own files (wrangler.toml, .dev.vars, .gitignore), then — when a gateway answers
// (`--url`, default http://127.0.0.1:8787) — asks its GET /v1/admin/security for what only the
// running deployment knows (secrets set, tenants' agents and keys). Exits 1 on any high finding.
//   npm run security:audit -- --url https://edgeclaw.example.workers.dev   (token: EDGECLAW_ADMIN_TOKEN)
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { needsValue } from './local-secrets.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (/** @type {string} */ name) =>
	process.argv
		.find((a) => a.startsWith(`--${name}=`))
		?.split('=')
		.slice(1)
		.join('=')
const url = arg('url') ?? 'http://127.0.0.1:8787'

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
let live = 'not checked'
try {
	const res = await fetch(`${url}/v1/admin/security`, {
		headers: token ? { authorization: `Bearer ${token}` } : {},
		signal: AbortSignal.timeout(3_000),
	})
	if (res.ok) {
		const body = /** @type {{ findings: Finding[] }} */ (await res.json())
		for (const f of body.findings) findings.push({ ...f, source: url })
		live = `checked ${url}`
	} else live = `${url} answered ${res.status} (set EDGECLAW_ADMIN_TOKEN?)`
} catch {
	live = `${url} not reachable (start \`npm run dev\` or pass --url=)`
}

const order = { high: 0, medium: 1, low: 2 }
findings.sort((a, b) => order[a.severity] - order[b.severity])
console.log(`edgeclaw security audit — files checked; deployment: ${live}\n`)
if (findings.length === 0) console.log('no findings')
for (const f of findings) {
	console.log(
		`${f.severity.toUpperCase().padEnd(6)} ${f.id}  [${f.source}]\n       ${f.message}\n       fix: ${f.fix}`,
	)
}
process.exitCode = findings.some((f) => f.severity === 'high') ? 1 : 0
