// The checks `edgeclaw doctor` makes of an edgeclaw checkout's own files (wrangler.toml,
// .gitignore, .dev.vars) — what only the project knows, before anything is deployed.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Finding {
	id: string
	severity: 'high' | 'medium' | 'low'
	message: string
	fix: string
	/** `files`, `config`, or the gateway's url. */
	source: string
}

const RATE_LIMITS = ['RATE_LIMIT_KEY', 'RATE_LIMIT_TENANT', 'RATE_LIMIT_IP', 'RATE_LIMIT_AUTH_FAIL']

/** True when `dir` is an edgeclaw checkout (its wrangler.toml names the worker edgeclaw). */
export function isProject(dir: string): boolean {
	const toml = join(dir, 'wrangler.toml')
	return existsSync(toml) && /^name\s*=\s*"edgeclaw"/m.test(readFileSync(toml, 'utf8'))
}

/** A 32-byte key, base64 — what EDGECLAW_SECRETS_KEY and EDGECLAW_AUDIT_KEY must be. */
function isKey(value: string | undefined): boolean {
	if (!value || value.startsWith('replace-with')) return false
	return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32
}

export function projectFindings(dir: string): Finding[] {
	const findings: Finding[] = []
	const add = (f: Omit<Finding, 'source'>) => findings.push({ ...f, source: 'files' })
	const toml = readFileSync(join(dir, 'wrangler.toml'), 'utf8')
	for (const name of RATE_LIMITS) {
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
	const gitignorePath = join(dir, '.gitignore')
	const gitignore = existsSync(gitignorePath) ? readFileSync(gitignorePath, 'utf8') : ''
	if (!/^\.dev\.vars$/m.test(gitignore)) {
		add({
			id: 'dev-vars-not-ignored',
			severity: 'high',
			message: '.dev.vars (local secrets) is not in .gitignore.',
			fix: 'Add ".dev.vars" to .gitignore.',
		})
	}
	const devVarsPath = join(dir, '.dev.vars')
	const devVars = existsSync(devVarsPath) ? readFileSync(devVarsPath, 'utf8') : ''
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
		for (const name of ['EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY']) {
			const local = new RegExp(`^${name}=(.*)$`, 'm').exec(devVars)?.[1]?.trim()
			if (!isKey(local)) {
				add({
					id: `local-${name.slice('EDGECLAW_'.length).toLowerCase().replaceAll('_', '-')}-unset`,
					severity: 'medium',
					message: `.dev.vars has no usable ${name} (32 random bytes, base64).`,
					fix: '`npm run dev` fills it in.',
				})
			}
		}
	}
	return findings
}
