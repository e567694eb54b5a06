#!/usr/bin/env node
// `npm run bench`: measures the gateway against the floor Worker in one run and prints a table
// of latencies and ratios — requests, model steps, tool calls (in-process vs. as tool jobs on the
// queue), run_js isolates and whole turns; writes bench/results/latest.json. Not part of `npm test`.
//   --quick        fewer samples (a smoke run)
//   --only=a,b     only these latency scenarios (and their baselines, transitively)
//   --rounds=N     interleaved rounds per scenario
//   --no-load      skip the `sessions` load scenario
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { startFakeOpenAI } from './fake-openai.mjs'
import { measure, runCommand, startProduct, startWorker, table } from './lib.mjs'
import { protocolsScenario, protocolsTable } from './protocols.mjs'
import { sessionsScenario } from './sessions.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const quick = process.argv.includes('--quick')
const onlyArg = process.argv.find((a) => a.startsWith('--only='))
const only = onlyArg?.slice('--only='.length).split(',')
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 0)
const plan = quick
	? { rounds: rounds || 3, perRound: 50, warmup: 20 }
	: { rounds: rounds || 10, perRound: 200, warmup: 200 }
const load = quick
	? { sessions: 100, messages: 5, concurrency: 32 }
	: { sessions: 1_000, messages: 5, concurrency: 64 }
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

	const [product, floor] = await Promise.all([
		startProduct({
			cwd: root,
			state: join(state, 'edgeclaw'),
			vars: {
				EDGECLAW_LOG_LEVEL: 'warn',
				// One client on loopback sends far more than a per-IP or per-key limit allows.
				EDGECLAW_RATE_LIMITS: 'disabled',
				EDGECLAW_ADMIN_TOKEN: token,
			},
		}),
		startWorker({
			config: 'bench/floor/wrangler.toml',
			cwd: root,
			readyPath: '/bare',
			args: ['--persist-to', join(state, 'floor')],
		}),
	])
	running.push(product, floor)
	const model = await startFakeOpenAI()
	running.push({ url: model.baseURL, stop: model.stop, output: () => '' })
	const base = encodeURIComponent(model.baseURL)

	const auth = { authorization: `Bearer ${token}` }
	// An API key of the default tenant: what programs use (lookup, hash check, rate limits, policy).
	const created = await fetch(`${product.url}/v1/keys`, {
		method: 'POST',
		headers: { ...auth, 'content-type': 'application/json' },
		body: JSON.stringify({ name: 'bench', role: 'admin' }),
	})
	if (created.status !== 201) throw new Error(`could not create a bench key: ${created.status}`)
	const keyAuth = {
		authorization: `Bearer ${/** @type {{ secret: string }} */ (await created.json()).secret}`,
	}
	// An agent with the coding tools on the offline model, which reads `/tool <name> <json>` as a
	// tool call and then answers with a one-line summary of the result.
	const coder = await fetch(`${product.url}/v1/agents`, {
		method: 'POST',
		headers: { ...auth, 'content-type': 'application/json' },
		body: JSON.stringify({
			id: 'bench-coder',
			name: 'bench coder',
			config: { model: { primary: 'offline:echo' }, tools: { profile: 'coding' } },
		}),
	})
	if (coder.status !== 201) throw new Error(`could not create the bench agent: ${coder.status}`)
	/** @param {string} session @param {string} content */
	const coderTurn = (session, content) =>
		fetch(`${product.url}/v1/sessions/${session}/messages`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify({ agent: 'bench-coder', content, wait: true }),
		})
	/** A turn that succeeded and whose answer starts with `prefix`. @param {string} prefix */
	const answered = (prefix) => (/** @type {string} */ body) => {
		const run = JSON.parse(body)
		return run.status === 'succeeded' && String(run.output).startsWith(prefix)
	}
	/** @param {'direct' | 'job'} how @param {number} i */
	const echo = (how, i) =>
		fetch(`${floor.url}/tool/${how}/lane-${i % 64}`, {
			method: 'POST',
			body: JSON.stringify({ i }),
		})
	const echoed = (/** @type {string} */ body) => JSON.parse(body).text.startsWith('{"i":')
	const all = /** @type {import('./lib.mjs').Scenario[]} */ ([
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
		{
			name: 'gateway.agents.key',
			baseline: 'gateway.agents',
			request: () => fetch(`${product.url}/v1/agents`, { headers: keyAuth }),
		},
		// One model step: the provider call made raw vs. through the agent loop (same Worker).
		{ name: 'step.offline.raw', request: () => fetch(`${floor.url}/offline/raw`) },
		{
			name: 'step.offline.loop',
			baseline: 'step.offline.raw',
			request: () => fetch(`${floor.url}/offline/loop`),
		},
		{ name: 'step.openai.raw', request: () => fetch(`${floor.url}/model/raw?base=${base}`) },
		{
			name: 'step.openai.loop',
			baseline: 'step.openai.raw',
			request: () => fetch(`${floor.url}/model/loop?base=${base}`),
		},
		// One tool call in a lane: in-process vs. as a tool job (queue → consumer → claim and
		// delivery by RPC); and run_js's isolate start + run.
		{ name: 'tool.direct', request: (i) => echo('direct', i), check: echoed },
		{ name: 'tool.job', baseline: 'tool.direct', request: (i) => echo('job', i), check: echoed },
		{
			name: 'isolate.run_js',
			baseline: 'floor.bare',
			request: () => fetch(`${floor.url}/isolate`),
			check: (body) => JSON.parse(body).result === 1,
		},
		{
			name: 'turn',
			baseline: 'floor.append',
			request: (i) =>
				fetch(`${product.url}/v1/sessions/bench-${i % 64}/messages`, {
					method: 'POST',
					headers: { ...auth, 'content-type': 'application/json' },
					body: JSON.stringify({ content: `message ${i}`, wait: true }),
				}),
		},
		// Whole turns with one tool call: a lane tool, then a tool job running run_js.
		{
			name: 'turn.tool.lane',
			baseline: 'turn',
			request: (i) => coderTurn(`tool-lane-${i % 64}`, '/tool time_now {}'),
			check: answered('time_now returned'),
		},
		{
			name: 'turn.tool.job',
			baseline: 'turn.tool.lane',
			request: (i) => coderTurn(`tool-job-${i % 64}`, '/tool run_js {"code":"return 1"}'),
			check: answered('run_js returned {"ok":true'),
		},
	])
	// Keep a scenario's baseline (and the baseline's own) whenever the scenario is selected.
	/** @param {string} name @returns {string[]} */
	const withBaselines = (name) => {
		const s = all.find((x) => x.name === name)
		if (!s) throw new Error(`--only: no scenario "${name}"`)
		return s.baseline ? [name, ...withBaselines(s.baseline)] : [name]
	}
	const wanted = new Set(only?.flatMap(withBaselines))
	const selected = only ? all.filter((s) => wanted.has(s.name)) : all
	const results = await measure(selected, plan)
	const protocols = process.argv.includes('--no-protocols')
		? []
		: await protocolsScenario({
				url: product.url,
				token,
				rounds: plan.rounds,
				perRound: Math.max(2, Math.ceil(plan.perRound / 4)),
				warmup: 3,
			})
	const sessions = await sessionsScenario({
		url: product.url,
		headers: auth,
		prefix: 'load',
		...load,
		...(process.argv.includes('--no-load') && { sessions: 0 }),
	})

	const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
	console.log(`\nedgeclaw bench — ${new Date().toISOString()} — ${machine}`)
	console.log(
		`sequential requests, ${plan.rounds} interleaved rounds × ${plan.perRound} per scenario\n`,
	)
	console.log(table(results))
	if (protocols.length > 0) {
		console.log(
			'\none turn per client protocol (ms; ttft = first token; ×http = full p50 / http.wait p50)\n',
		)
		console.log(protocolsTable(protocols))
	}
	console.log(
		`\nsessions: ${sessions.sessions} × ${sessions.messages} = ${sessions.total} turns, ${load.concurrency} in flight: ` +
			`${sessions.turnsPerSecond.toFixed(0)} turns/s (submit ${sessions.submitSeconds.toFixed(1)} s, all answered ${sessions.totalSeconds.toFixed(1)} s); ` +
			`errors ${sessions.errors}, lost ${sessions.lost}, duplicated ${sessions.duplicated}, out of order ${sessions.outOfOrder}`,
	)
	console.log(`bundle: ${bundleKiB.raw.toFixed(1)} KiB, gzip ${bundleKiB.gzip.toFixed(1)} KiB`)
	writeFileSync(
		join(root, 'bench/results/latest.json'),
		`${JSON.stringify({ date: new Date().toISOString(), machine, plan, bundleKiB, results, protocols, sessions }, null, 2)}\n`,
	)
	const failed = results.filter((r) => r.errors > 0).map((r) => r.name)
	for (const p of protocols) if (p.errors > 0) failed.push(`protocol ${p.name}`)
	if (sessions.errors + sessions.lost + sessions.duplicated + sessions.outOfOrder > 0)
		failed.push('sessions')
	if (failed.length > 0) {
		console.error(`\nerrors in: ${failed.join(', ')}`)
		process.exitCode = 1
	}
} catch (error) {
	console.error(error)
	// What the runtimes said last: a crash or reload shows up here, not in the error above.
	for (const r of running) {
		const out = r.output()
		if (out) console.error(`\n--- ${r.url} (last output) ---\n${out.slice(-4_000)}`)
	}
	process.exitCode = 1
} finally {
	await cleanup()
}
