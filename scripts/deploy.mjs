#!/usr/bin/env node
// `npm run deploy [-- --env staging|production] [--dry-run]`: the steps of a deploy, each stopping
// the deploy with what to do when it fails.
//   --dry-run  the web app built and the Worker bundled by `wrangler deploy --dry-run` (no account,
//              no network, no Docker: `--containers-rollout=none`), its size against the budget
//   otherwise  the preflight (the Worker's own secrets, scripts/preflight.mjs), the web app built,
//              `wrangler deploy`, then the D1 migrations applied remotely
// `--env` picks an environment of wrangler.toml (docs/operations.md, "Environments").
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const root = join(import.meta.dirname, '..')

/** The Worker's gzip budget, as `npm run bench` checks it (bench/budgets.json). */
function bundleBudgetKiB() {
	/** @type {{ budgets: { figure: string, max?: number }[] }} */
	const { budgets } = JSON.parse(readFileSync(join(root, 'bench', 'budgets.json'), 'utf8'))
	return budgets.find((b) => b.figure === 'bundle.gzip KiB')?.max ?? Number.POSITIVE_INFINITY
}

/**
 * Runs one step; on failure prints what failed and what to do, and exits 1.
 * @param {string} what
 * @param {string} command
 * @param {string[]} args
 * @param {string} fix
 * @param {{ capture?: boolean }} [options]
 */
function step(what, command, args, fix, options = {}) {
	console.log(`deploy: ${what}: ${[command, ...args].join(' ')}`)
	const run = spawnSync(command, args, {
		cwd: root,
		encoding: 'utf8',
		stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
	})
	if (options.capture) process.stdout.write(`${run.stdout ?? ''}${run.stderr ?? ''}`)
	if (run.status !== 0) {
		console.error(`deploy: ${what} failed${run.error ? ` (${run.error.message})` : ''}. ${fix}`)
		process.exit(1)
	}
	return `${run.stdout ?? ''}${run.stderr ?? ''}`
}

let values
try {
	;({ values } = parseArgs({
		options: { env: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
		strict: true,
	}))
} catch (error) {
	console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`)
	console.error('usage: npm run deploy [-- --env <name>] [--dry-run]')
	process.exit(2)
}
const env = values.env ? ['--env', values.env] : []
const where = values.env ? `the ${values.env} environment` : 'the top level'

if (values['dry-run']) {
	step('build the web app', 'npm', ['run', 'build:web'], 'Fix the build error above.')
	const outdir = values.env ? `dist/worker-${values.env}` : 'dist/worker'
	const out = step(
		`bundle ${where} (dry run)`,
		'wrangler',
		['deploy', '--dry-run', '--containers-rollout=none', ...env, '--outdir', outdir],
		'Fix the bundle or wrangler.toml error above.',
		{ capture: true },
	)
	const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(out)
	if (!size) {
		console.error('deploy: wrangler printed no bundle size ("Total Upload: … KiB / gzip: … KiB").')
		process.exit(1)
	}
	const budget = bundleBudgetKiB()
	const gzip = Number(size[2])
	console.log(
		`deploy: bundle ${size[1]} KiB, gzip ${gzip} KiB (budget ${budget} KiB gzip); nothing was deployed`,
	)
	if (gzip > budget) {
		console.error(
			`deploy: the bundle is over its budget by ${(gzip - budget).toFixed(2)} KiB gzip.`,
		)
		process.exit(1)
	}
	process.exit(0)
}

step(
	`check the secrets of ${where}`,
	process.execPath,
	[join('scripts', 'preflight.mjs'), ...env],
	'Set the secrets it names, then deploy again.',
)
step('build the web app', 'npm', ['run', 'build:web'], 'Fix the build error above.')
step(
	`deploy ${where}`,
	'wrangler',
	['deploy', ...env],
	'Nothing changed if the upload failed; see wrangler’s message above.',
)
step(
	`apply the D1 migrations of ${where}`,
	'wrangler',
	['d1', 'migrations', 'apply', 'DB', '--remote', ...env],
	`The Worker is deployed; apply them with \`npx wrangler d1 migrations apply DB --remote${values.env ? ` --env ${values.env}` : ''}\` (/ready answers 503 until they land).`,
)
console.log(`deploy: ${where} is deployed`)
