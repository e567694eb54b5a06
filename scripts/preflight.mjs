#!/usr/bin/env node
// `npm run deploy` runs this first: it refuses to deploy a Worker that would start without its own
// secrets (the admin token and the two data keys), as `wrangler secret list` shows them. Values are
// never visible to it; the running deployment checks their form (GET /v1/admin/security).
//   node scripts/preflight.mjs [--env <name>]
import { spawnSync } from 'node:child_process'
import { missingDeploySecrets, REQUIRED_SECRETS } from './local-secrets.mjs'

const envIndex = process.argv.indexOf('--env')
const envArgs =
	envIndex > 0 && process.argv[envIndex + 1] ? ['--env', process.argv[envIndex + 1]] : []
const listed = spawnSync('wrangler', ['secret', 'list', '--format', 'json', ...envArgs], {
	encoding: 'utf8',
	stdio: ['ignore', 'pipe', 'pipe'],
})
if (listed.status !== 0) {
	console.error(
		`preflight: \`wrangler secret list\` failed, so the Worker's secrets cannot be checked:\n${(listed.stderr || listed.stdout || String(listed.error ?? '')).trim()}`,
	)
	console.error(
		`Set them first (this also creates the Worker): ${REQUIRED_SECRETS.map((s) => s.name).join(', ')} — see docs/operations.md.`,
	)
	process.exit(1)
}
const missing = missingDeploySecrets(listed.stdout)
if (missing.length > 0) {
	console.error(
		`preflight: refusing to deploy; these Worker secrets are not set: ${missing.join(', ')}`,
	)
	for (const name of missing) {
		console.error(
			`  openssl rand -base64 32 | npx wrangler secret put ${name}${envArgs.length ? ` ${envArgs.join(' ')}` : ''}`,
		)
	}
	process.exit(1)
}
console.log(`preflight: ${REQUIRED_SECRETS.map((s) => s.name).join(', ')} are set`)
