#!/usr/bin/env node
// `npm run deploy [-- --env staging|production] [--dry-run]`: the steps of a deploy, each stopping
// it with what to do when it fails.
//   --dry-run  the web app built and the Worker bundled by `wrangler deploy --dry-run` (no account,
//              no network, no Docker: `--containers-rollout=none`), its size against the budget;
//              with `--every-env`, the top level and every environment of wrangler.toml in turn,
//              the web app built once (`npm run build:check`)
//   otherwise, before anything changes: logged in, the Worker's own secrets set
//              (scripts/preflight.mjs), the bundle within its budget; then the queues created
//              where missing, the pending D1 migrations listed and applied (after the deploy when
//              the deploy is what creates the database), `wrangler deploy`, and a smoke check of
//              /health and /ready on the deployed URL
// `--env` picks an environment of wrangler.toml (docs/operations.md, "Environments"); `--url` is
// the deployed URL the smoke check asks (default: the workers.dev URL wrangler prints), which
// waits `--smoke-wait` seconds at most (default 60) for a fresh deploy to answer.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parse } from 'smol-toml'

const root = join(import.meta.dirname, '..')
const USAGE =
	'usage: npm run deploy [-- --env <name>] [--dry-run [--every-env]] [--url <deployed url>] [--smoke-wait <s>]'

/**
 * The Worker's gzip ceiling for a deploy (bench/budgets.json): the bundle budget's `deployMax` when
 * it has one — a goal `npm run bench -- --check` reports as missed need not stop deploys — else
 * its `max`.
 */
function bundleBudgetKiB() {
	/** @type {{ budgets: { figure: string, max?: number, deployMax?: number }[] }} */
	const { budgets } = JSON.parse(readFileSync(join(root, 'bench', 'budgets.json'), 'utf8'))
	const bundle = budgets.find((b) => b.figure === 'bundle.gzip KiB')
	return bundle?.deployMax ?? bundle?.max ?? Number.POSITIVE_INFINITY
}

/**
 * Runs one step; on failure prints what failed and what to do, and exits 1.
 * @param {string} what
 * @param {string} command
 * @param {string[]} args
 * @param {string} fix
 * @param {{ capture?: boolean, quiet?: boolean }} [options]
 */
function step(what, command, args, fix, options = {}) {
	console.log(`deploy: ${what}: ${[command, ...args].join(' ')}`)
	const run = spawnSync(command, args, {
		cwd: root,
		encoding: 'utf8',
		stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
	})
	const out = `${run.stdout ?? ''}${run.stderr ?? ''}`
	if (options.capture && !options.quiet) process.stdout.write(out)
	if (run.status !== 0) {
		if (options.quiet) process.stdout.write(out)
		console.error(`deploy: ${what} failed${run.error ? ` (${run.error.message})` : ''}. ${fix}`)
		process.exit(1)
	}
	return out
}

/** @param {string} message */
function stop(message) {
	console.error(`deploy: ${message}`)
	process.exit(1)
}

/**
 * The environment's D1 database and queues, as wrangler.toml names them.
 * @param {string | undefined} name
 */
function resourcesOf(name) {
	/** @type {Record<string, any>} */
	const config = parse(readFileSync(join(root, 'wrangler.toml'), 'utf8'))
	const table = name ? config.env?.[name] : config
	if (!table)
		stop(
			`wrangler.toml has no [env.${name}]; environments: ${Object.keys(config.env ?? {}).join(', ')}`,
		)
	/** @type {{ queue: string, dead_letter_queue?: string }[]} */
	const queues = [...(table.queues?.producers ?? []), ...(table.queues?.consumers ?? [])]
	return {
		database: /** @type {string | undefined} */ (table.d1_databases?.[0]?.database_name),
		queues: [...new Set(queues.flatMap((q) => [q.queue, q.dead_letter_queue ?? []].flat()))],
	}
}

/**
 * The web app built and the Worker bundled without deploying; stops when over the budget.
 * @param {string[]} env
 * @param {string} where
 * @param {string | undefined} name
 */
function bundle(env, where, name) {
	buildWeb()
	bundleWorker(env, where, name)
}

function buildWeb() {
	step('build the web app', 'npm', ['run', 'build:web'], 'Fix the build error above.')
}

/**
 * The Worker bundled without deploying (the web app already built); stops when over the budget.
 * @param {string[]} env
 * @param {string} where
 * @param {string | undefined} name
 */
function bundleWorker(env, where, name) {
	const outdir = name ? `dist/worker-${name}` : 'dist/worker'
	const out = step(
		`bundle ${where} (dry run)`,
		'wrangler',
		['deploy', '--dry-run', '--containers-rollout=none', ...env, '--outdir', outdir],
		'Fix the bundle or wrangler.toml error above.',
		{ capture: true },
	)
	const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(out)
	if (!size) stop('wrangler printed no bundle size ("Total Upload: … KiB / gzip: … KiB").')
	const budget = bundleBudgetKiB()
	const gzip = Number(size?.[2])
	console.log(`deploy: bundle ${size?.[1]} KiB, gzip ${gzip} KiB (budget ${budget} KiB gzip)`)
	if (gzip > budget)
		stop(`the bundle is over its budget by ${(gzip - budget).toFixed(2)} KiB gzip.`)
}

/**
 * Waits for the deployed Worker to answer /health and /ready with 200.
 * @param {string} url
 * @param {number} waitMs
 */
async function smoke(url, waitMs) {
	const until = Date.now() + waitMs
	let last = ''
	for (;;) {
		try {
			const [health, ready] = await Promise.all(
				['/health', '/ready'].map((path) =>
					fetch(new URL(path, url), { signal: AbortSignal.timeout(10_000) }),
				),
			)
			if (health?.ok && ready?.ok) return
			last = `/health ${health?.status}, /ready ${ready?.status}`
		} catch (error) {
			last = error instanceof Error ? error.message : String(error)
		}
		if (Date.now() >= until) break
		await new Promise((resolve) => setTimeout(resolve, 3_000))
	}
	stop(
		`deployed, but ${url} is not healthy (${last}). Look at \`npx wrangler tail\`; roll back with \`npx wrangler rollback\` (docs/operations.md).`,
	)
}

let values
try {
	;({ values } = parseArgs({
		options: {
			env: { type: 'string' },
			'dry-run': { type: 'boolean', default: false },
			'every-env': { type: 'boolean', default: false },
			url: { type: 'string' },
			'smoke-wait': { type: 'string', default: '60' },
		},
		strict: true,
	}))
} catch (error) {
	console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`)
	console.error(USAGE)
	process.exit(2)
}
const smokeWaitS = Number(values['smoke-wait'])
if (!Number.isFinite(smokeWaitS) || smokeWaitS < 0) {
	console.error(`deploy: --smoke-wait takes seconds, not "${values['smoke-wait']}"`)
	console.error(USAGE)
	process.exit(2)
}
if (values['every-env']) {
	if (!values['dry-run'] || values.env !== undefined) {
		console.error(
			'deploy: --every-env goes with --dry-run alone, never with --env or a real deploy',
		)
		console.error(USAGE)
		process.exit(2)
	}
	/** @type {Record<string, any>} */
	const config = parse(readFileSync(join(root, 'wrangler.toml'), 'utf8'))
	buildWeb()
	bundleWorker([], 'the top level', undefined)
	for (const name of Object.keys(config.env ?? {}))
		bundleWorker(['--env', name], `the ${name} environment`, name)
	console.log('deploy: dry run; nothing was deployed')
	process.exit(0)
}
const name = values.env
const env = name ? ['--env', name] : []
const where = name ? `the ${name} environment` : 'the top level'
const resources = resourcesOf(name)

if (values['dry-run']) {
	bundle(env, where, name)
	console.log('deploy: dry run; nothing was deployed')
	process.exit(0)
}

// Before anything changes.
step(
	'check the login',
	'wrangler',
	['whoami', '--json'],
	'Log in with `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then deploy again.',
	{
		capture: true,
		quiet: true,
	},
)
step(
	`check the secrets of ${where}`,
	process.execPath,
	[join('scripts', 'preflight.mjs'), ...env],
	'Set the secrets it names, then deploy again.',
)
bundle(env, where, name)

// The account's resources.
const listed = step(
	'list the queues',
	'wrangler',
	['queues', 'list'],
	'See wrangler’s message above.',
	{
		capture: true,
		quiet: true,
	},
)
for (const queue of resources.queues) {
	const exists = new RegExp(
		`(^|[\\s│|])${queue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s│|])`,
		'm',
	).test(listed)
	if (exists) console.log(`deploy: queue ${queue} exists`)
	else
		step(
			`create the queue ${queue}`,
			'wrangler',
			['queues', 'create', queue],
			'See wrangler’s message above.',
		)
}
const databases = step(
	'list the D1 databases',
	'wrangler',
	['d1', 'list', '--json'],
	'See wrangler’s message above.',
	{
		capture: true,
		quiet: true,
	},
)
/** @type {{ name: string }[]} */
let known = []
try {
	known = JSON.parse(databases.slice(databases.indexOf('[')))
} catch {
	stop('`wrangler d1 list --json` printed no list of databases.')
}
const migrate = () =>
	step(
		`apply the D1 migrations of ${where}`,
		'wrangler',
		['d1', 'migrations', 'apply', 'DB', '--remote', ...env],
		`Apply them with \`npx wrangler d1 migrations apply DB --remote${name ? ` --env ${name}` : ''}\`, then deploy again.`,
	)
const databaseExists = known.some((d) => d.name === resources.database)
if (databaseExists) {
	step(
		`list the pending D1 migrations of ${where}`,
		'wrangler',
		['d1', 'migrations', 'list', 'DB', '--remote', ...env],
		'See wrangler’s message above.',
	)
	// Migrations only add: the Worker still running tolerates them.
	migrate()
} else
	console.log(
		`deploy: D1 ${resources.database} does not exist yet: the deploy creates it, then its migrations are applied`,
	)

const deployed = step(
	`deploy ${where}`,
	'wrangler',
	['deploy', ...env],
	'Nothing changed if the upload failed; see wrangler’s message above.',
	{ capture: true },
)
if (!databaseExists) migrate()

const url = values.url ?? /https:\/\/[^\s]+\.workers\.dev\b/.exec(deployed)?.[0]
if (url) {
	console.log(`deploy: smoke check of ${url}`)
	await smoke(url, smokeWaitS * 1_000)
	console.log(`deploy: ${where} is deployed and healthy at ${url}`)
} else
	console.log(
		`deploy: ${where} is deployed; wrangler printed no workers.dev URL: check /health and /ready on your route (or pass --url)`,
	)
