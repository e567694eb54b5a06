#!/usr/bin/env node
// `npm run bench`: measures the gateway against the floor Worker in one run and prints a table
// of latencies and ratios; writes bench/results/latest.json. Not part of `npm test`.
//   --quick   fewer samples (a smoke run)
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { measure, runCommand, startWorker, table } from './lib.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const quick = process.argv.includes('--quick')
const plan = quick
	? { rounds: 3, perRound: 50, warmup: 20 }
	: { rounds: 10, perRound: 200, warmup: 200 }
const state = mkdtempSync(join(tmpdir(), 'edgeclaw-bench-'))
const token = randomBytes(24).toString('base64url')

/** @type {import('./lib.mjs').RunningWorker[]} */
const running = []
const cleanup = async () => {
	await Promise.all(running.map((w) => w.stop()))
	rmSync(state, { recursive: true, force: true })
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
	process.on(signal, () => {
		cleanup().finally(() => process.exit(130))
	})
}

try {
	// Bundle: what `wrangler deploy` would upload, and its gzip size.
	const out = join(state, 'bundle')
	runCommand(
		'wrangler',
		['deploy', '--dry-run', '--containers-rollout=none', '--outdir', out],
		root,
	)
	const bundle = readFileSync(join(out, 'index.js'))
	const bundleKiB = { raw: bundle.length / 1024, gzip: gzipSync(bundle).length / 1024 }

	runCommand(
		'wrangler',
		['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', join(state, 'edgeclaw')],
		root,
	)
	const [product, floor] = await Promise.all([
		startWorker({
			config: 'wrangler.toml',
			cwd: root,
			readyPath: '/ready',
			args: [
				'--persist-to',
				join(state, 'edgeclaw'),
				'--enable-containers=false',
				'--var',
				'EDGECLAW_CONTAINERS:disabled',
				'--var',
				'EDGECLAW_LOG_LEVEL:warn',
				'--var',
				`EDGECLAW_ADMIN_TOKEN:${token}`,
			],
		}),
		startWorker({
			config: 'bench/floor/wrangler.toml',
			cwd: root,
			readyPath: '/bare',
			args: ['--persist-to', join(state, 'floor')],
		}),
	])
	running.push(product, floor)

	const auth = { authorization: `Bearer ${token}` }
	const results = await measure(
		[
			{ name: 'floor.bare', request: () => fetch(`${floor.url}/bare`) },
			{
				name: 'gateway.health',
				baseline: 'floor.bare',
				request: () => fetch(`${product.url}/health`),
			},
			{
				name: 'floor.append',
				request: (i) =>
					fetch(`${floor.url}/append/lane-${i % 64}`, { method: 'POST', body: `message ${i}` }),
			},
			{
				name: 'gateway.ready',
				baseline: 'floor.append',
				request: () => fetch(`${product.url}/ready`),
			},
			{
				name: 'gateway.agents',
				baseline: 'floor.append',
				request: () => fetch(`${product.url}/v1/agents`, { headers: auth }),
			},
		],
		plan,
	)

	const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
	console.log(`\nedgeclaw bench — ${new Date().toISOString()} — ${machine}`)
	console.log(
		`sequential requests, ${plan.rounds} interleaved rounds × ${plan.perRound} per scenario\n`,
	)
	console.log(table(results))
	console.log(`\nbundle: ${bundleKiB.raw.toFixed(1)} KiB, gzip ${bundleKiB.gzip.toFixed(1)} KiB`)
	writeFileSync(
		join(root, 'bench/results/latest.json'),
		`${JSON.stringify({ date: new Date().toISOString(), machine, plan, bundleKiB, results }, null, 2)}\n`,
	)
	const failed = results.filter((r) => r.errors > 0)
	if (failed.length > 0) {
		console.error(`\nerrors in: ${failed.map((r) => r.name).join(', ')}`)
		process.exitCode = 1
	}
} catch (error) {
	console.error(error)
	process.exitCode = 1
} finally {
	await cleanup()
}
