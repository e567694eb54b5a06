#!/usr/bin/env node
// `npm run dev`: make sure every local secret exists (the admin token and the data keys, added to
// `.dev.vars` when missing or still a placeholder, other lines kept), apply local D1 migrations,
// build the web app (and rebuild it on every change while wrangler runs), detect a container
// engine, say which sandbox backends are live, then run `wrangler dev`. Extra arguments are passed
// on to wrangler (e.g. `npm run dev -- --port 8788`).
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { devOutputFilter } from './dev-output.mjs'
import { completeDevVars } from './local-secrets.mjs'
import { withSandboxV8Flags } from './v8-flags.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const devVars = join(root, '.dev.vars')
const example = join(root, '.dev.vars.example')
const args = process.argv.slice(2)

/** Port wrangler will listen on: `--port N` / `--port=N` if given, else wrangler.toml's 8787. */
function port() {
	const i = args.findIndex((a) => a === '--port' || a.startsWith('--port='))
	if (i < 0) return 8787
	return Number(args[i].includes('=') ? args[i].split('=')[1] : args[i + 1])
}

function readToken() {
	const match = /^EDGECLAW_ADMIN_TOKEN\s*=\s*"?([^"\n]*)"?\s*$/m.exec(readFileSync(devVars, 'utf8'))
	return match?.[1] ?? ''
}

/** Creates `.dev.vars` from the example, or completes it; the file stays readable by you only. */
function ensureDevVars() {
	const existed = existsSync(devVars)
	const before = existed ? readFileSync(devVars, 'utf8') : readFileSync(example, 'utf8')
	const { text, added, replaced } = completeDevVars(before, randomBytes)
	if (!existed || added.length > 0 || replaced.length > 0) {
		writeFileSync(devVars, text, { mode: 0o600 })
	}
	chmodSync(devVars, 0o600)
	return { existed, filled: [...added, ...replaced] }
}

/**
 * Whether a container engine is usable — `docker info` answers within a few seconds — and, when
 * not, why: turned off, no Docker client, or a client whose daemon does not answer.
 * @returns {{ live: true } | { live: false, why: string }}
 */
function containerEngine() {
	if (process.env.EDGECLAW_CONTAINERS === 'disabled')
		return { live: false, why: 'EDGECLAW_CONTAINERS=disabled' }
	const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
		stdio: 'ignore',
		timeout: 5_000,
	})
	if (probe.status === 0) return { live: true }
	if (/** @type {NodeJS.ErrnoException | undefined} */ (probe.error)?.code === 'ENOENT')
		return { live: false, why: 'no Docker client found (install Docker to enable exec/file tools)' }
	return {
		live: false,
		why: 'Docker is installed but its daemon does not answer (start it to enable exec/file tools)',
	}
}

/**
 * Whether wrangler can listen on the port: another `npm run dev` (or anything else) on it would
 * make wrangler fail after the banner, so this says so first.
 * @param {number} wanted
 * @returns {Promise<boolean>}
 */
function portFree(wanted) {
	return new Promise((resolve) => {
		const probe = createServer()
		probe.once('error', () => resolve(false))
		probe.listen(wanted, '127.0.0.1', () => probe.close(() => resolve(true)))
	})
}

/**
 * Runs a command to completion, exiting with its status if it fails.
 * @param {string} command
 * @param {string[]} commandArgs
 * @param {Record<string, string>} [extraEnv]
 * @param {'inherit' | 'pipe'} [stdio] `pipe`: quiet unless it fails; the output is returned
 * @returns {string}
 */
function run(
	command,
	commandArgs,
	extraEnv = {},
	stdio = /** @type {'inherit' | 'pipe'} */ ('inherit'),
) {
	const result = spawnSync(command, commandArgs, {
		cwd: root,
		stdio,
		encoding: 'utf8',
		env: { ...process.env, ...extraEnv },
	})
	if (result.status !== 0) {
		if (stdio === 'pipe') process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`)
		console.error(
			`\n${command} ${commandArgs.join(' ')} failed (exit ${result.status ?? result.signal}).`,
		)
		process.exit(result.status ?? 1)
	}
	return `${result.stdout ?? ''}${result.stderr ?? ''}`
}

if (!(await portFree(port()))) {
	console.error(
		`Port ${port()} is in use (another \`npm run dev\`?). Stop it, or pick another port: npm run dev -- --port ${port() + 1}`,
	)
	process.exit(1)
}

const local = ensureDevVars()
const created = !local.existed
if (local.existed && local.filled.length > 0) {
	console.log(`.dev.vars: added ${local.filled.join(', ')} (fresh random values)`)
}
if (readToken() === '') {
	console.error(
		'Set EDGECLAW_ADMIN_TOKEN in .dev.vars to a long random value (or delete the line).',
	)
	process.exit(1)
}

// Local D1: apply every migration in migrations/ (idempotent; CI=1 keeps wrangler from prompting).
// Its output is shown only when it fails; the banner says what it did.
const migrations = run(
	'wrangler',
	['d1', 'migrations', 'apply', 'DB', '--local'],
	{ CI: '1' },
	'pipe',
)
const applied =
	(migrations.match(/✅/g) ?? []).length - (/No migrations to apply/.test(migrations) ? 1 : 0)

// The web app: wrangler serves dist/web, so it is built before wrangler starts (a broken build
// stops here); `vite build --watch` then rebuilds it on every change under web/.
const WEB_BUILD = ['build', '-c', 'web/vite.config.ts']
run('vite', [...WEB_BUILD, '--logLevel', 'warn'])

const engine = containerEngine()
const containers = engine.live
const url = `http://127.0.0.1:${port()}`
const lines = [
	'',
	'edgeclaw dev',
	`  web app          open ${url}/ and sign in with the token in .dev.vars (rebuilt on change)`,
	`  gateway          ${url}  (GET /health, GET /ready, GET /openapi.json, /docs)`,
	`  CLI              npx edgeclaw chat   (npx edgeclaw --help; the token is read from .dev.vars)`,
	`  local D1         .wrangler/state; ${applied > 0 ? `${applied} migration(s) applied now` : 'migrations up to date'}`,
	`  admin token      ${created ? 'created in .dev.vars' : 'from .dev.vars'}; try:`,
	`                   curl -H "authorization: Bearer $(grep EDGECLAW_ADMIN_TOKEN .dev.vars | cut -d= -f2)" ${url}/v1/agents`,
	'  models           offline:echo is built in (deterministic, not an LLM); Anthropic, OpenAI and',
	"                   OpenAI-compatible models need a key: PUT /v1/secrets/<NAME> (the tenant's own)",
	'                   or a shared deployment secret (EDGECLAW_SHARED_SECRETS); Workers AI needs',
	'                   `npm run dev -- --remote-ai` after `wrangler login`',
	'  sandbox backends',
	'    isolate        live (Worker Loader: JavaScript, no network)',
	containers
		? '    container      live (Cloudflare Sandbox via the local container engine)'
		: `    container      disabled: ${engine.live ? '' : engine.why}`,
	`  cron             alerts each minute when deployed; here: curl ${url}/cdn-cgi/local/scheduled`,
	'',
]
console.log(lines.join('\n'))

// Workers AI only runs on Cloudflare: by default dev stays local (the AI binding is absent and a
// run on a `workers-ai:` model fails with models_exhausted, naming the missing binding).
// `--remote-ai` keeps it, which needs `wrangler login`.
const remoteAi = args.includes('--remote-ai')
const wranglerArgs = ['dev', ...args.filter((a) => a !== '--remote-ai')]
if (!remoteAi) wranglerArgs.push('--local')
if (!containers)
	wranglerArgs.push('--enable-containers=false', '--var', 'EDGECLAW_CONTAINERS:disabled')
const env = {
	...process.env,
	MINIFLARE_WORKERD_V8_FLAGS: withSandboxV8Flags(process.env.MINIFLARE_WORKERD_V8_FLAGS),
}
// While watching, a rebuild writes over dist/web instead of emptying it first, so a page loaded
// mid-rebuild never finds index.html gone (web/vite.config.ts reads EDGECLAW_WEB_WATCH).
const webWatch = spawn('vite', [...WEB_BUILD, '--watch', '--logLevel', 'warn'], {
	cwd: root,
	stdio: 'inherit',
	env: { ...process.env, EDGECLAW_WEB_WATCH: '1' },
})
webWatch.on('error', (error) =>
	console.error(`\nvite build --watch did not start: ${error.message}`),
)
webWatch.on('exit', (code) => {
	if (code)
		console.error(`\nvite build --watch exited (${code}): the web app is no longer rebuilt.`)
})
// wrangler's own start-up chatter (its banner, the bindings table twice, …) is filtered out:
// the banner above says what runs; request logs, the Worker's logs and errors pass through.
const child = spawn('wrangler', wranglerArgs, {
	cwd: root,
	stdio: ['inherit', 'pipe', 'pipe'],
	env: { ...env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
})
for (const [from, to] of /** @type {const} */ ([
	[child.stdout, process.stdout],
	[child.stderr, process.stderr],
])) {
	const keep = devOutputFilter({ ready: (at) => `ready on ${at} — Ctrl-C stops` })
	createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
		const out = keep(line)
		if (out !== null) to.write(`${out}\n`)
	})
}
child.on('error', (error) => {
	console.error(`\nwrangler dev did not start: ${error.message}`)
	webWatch.kill('SIGTERM')
	process.exit(1)
})
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
	process.on(signal, () => {
		webWatch.kill(signal)
		child.kill(signal)
	})
}
child.on('exit', (code, signal) => {
	webWatch.kill('SIGTERM')
	process.exit(code ?? (signal ? 1 : 0))
})
