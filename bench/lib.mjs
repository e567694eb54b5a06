// Benchmark harness: start Workers under `wrangler dev` on free ports, measure request latency
// with interleaved rounds (so drift hits every scenario alike), print a table, write JSON.

import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import { withSandboxV8Flags } from '../scripts/v8-flags.mjs'

/** @returns {Promise<number>} a TCP port that was free a moment ago */
export function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer()
		server.unref()
		server.on('error', reject)
		server.listen(0, '127.0.0.1', () => {
			const address = server.address()
			const port = typeof address === 'object' && address ? address.port : 0
			server.close(() => resolve(port))
		})
	})
}

/**
 * `rss()` is the resident memory (MiB) of the runtime processes (`workerd`) the worker runs in;
 * `inspector` the port of its V8 inspector.
 * @typedef {{ url: string, stop: () => Promise<void>, output: () => string, rss: () => number, inspector: number }} RunningWorker
 */

/**
 * Resident memory in MiB of the `workerd` processes in process group `pgid` (what `wrangler dev`
 * started). `ps` works alike on Linux and macOS.
 * @param {number} pgid
 */
export function workerdRss(pgid) {
	const out = spawnSync('ps', ['-A', '-o', 'pgid=,rss=,comm='], { encoding: 'utf8' }).stdout ?? ''
	let kib = 0
	for (const line of out.split('\n')) {
		const [group, rss, ...comm] = line.trim().split(/\s+/)
		if (Number(group) === pgid && comm.join(' ').includes('workerd')) kib += Number(rss)
	}
	return kib / 1024
}

/**
 * Starts `wrangler dev` for a config and waits until `readyPath` answers 200.
 * @param {{ config: string, args?: string[], readyPath?: string, cwd: string, timeoutMs?: number, env?: Record<string, string> }} options
 * @returns {Promise<RunningWorker>}
 */
export async function startWorker({
	config,
	args = [],
	readyPath = '/',
	cwd,
	timeoutMs = 90_000,
	env = {},
}) {
	const port = await freePort()
	const inspector = await freePort()
	let log = ''
	const child = spawn(
		'wrangler',
		[
			'dev',
			'--config',
			config,
			'--ip',
			'127.0.0.1',
			'--port',
			String(port),
			'--inspector-port',
			String(inspector),
			...args,
		],
		{
			cwd,
			// X_LOCAL_OBSERVABILITY: wrangler dev's local trace collector (a dev-only feature that
			// records every span of every Worker into a store of its own) is off, as in production.
			env: {
				...process.env,
				CI: '1',
				WRANGLER_SEND_METRICS: 'false',
				X_LOCAL_OBSERVABILITY: 'false',
				...env,
			},
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		},
	)
	child.stdout.on('data', (d) => {
		log += d
	})
	child.stderr.on('data', (d) => {
		log += d
	})
	const url = `http://127.0.0.1:${port}`
	const stop = async () => {
		if (child.exitCode !== null) return
		try {
			process.kill(-(child.pid ?? 0), 'SIGTERM')
		} catch {}
		await new Promise((resolve) => {
			const timer = setTimeout(() => {
				try {
					process.kill(-(child.pid ?? 0), 'SIGKILL')
				} catch {}
				resolve(undefined)
			}, 5_000)
			child.once('exit', () => {
				clearTimeout(timer)
				resolve(undefined)
			})
		})
	}
	const deadline = Date.now() + timeoutMs
	for (;;) {
		if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`)
		try {
			const res = await fetch(`${url}${readyPath}`)
			await res.arrayBuffer()
			if (res.status === 200) break
		} catch {}
		if (Date.now() > deadline) {
			await stop()
			throw new Error(`${config} did not become ready in ${timeoutMs} ms:\n${log}`)
		}
		await new Promise((r) => setTimeout(r, 250))
	}
	return { url, stop, output: () => log, rss: () => workerdRss(child.pid ?? -1), inspector }
}

/**
 * The product Worker under `wrangler dev` on a fresh local D1 (migrations applied) in `state`,
 * without containers, with `vars` as Worker variables. It gets fresh data keys, and loopback is
 * open to tenant URLs: the model servers the bench and the tests start listen on 127.0.0.1.
 * `env` adds to wrangler's own environment (the `profile` phase turns its local traces on).
 * @param {{ cwd: string, state: string, vars: Record<string, string>, env?: Record<string, string> }} options
 * @returns {Promise<RunningWorker>}
 */
export function startProduct({ cwd, state, vars, env = {} }) {
	runCommand('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], cwd)
	const defaults = {
		EDGECLAW_CONTAINERS: 'disabled',
		EDGECLAW_DEV_ALLOW_LOOPBACK: '1',
		EDGECLAW_SECRETS_KEY: randomBytes(32).toString('base64'),
		EDGECLAW_AUDIT_KEY: randomBytes(32).toString('base64'),
	}
	const varArgs = Object.entries({ ...defaults, ...vars }).flatMap(([name, value]) => [
		'--var',
		`${name}:${value}`,
	])
	return startWorker({
		config: 'wrangler.toml',
		cwd,
		readyPath: '/ready',
		args: ['--local', '--persist-to', state, '--enable-containers=false', ...varArgs],
		// The same runtime flags as `npm run dev` (the regex engine that ends catastrophic backtracking).
		env: {
			MINIFLARE_WORKERD_V8_FLAGS: withSandboxV8Flags(process.env.MINIFLARE_WORKERD_V8_FLAGS),
			...env,
		},
	})
}

/** Runs a command and fails loudly. @param {string} cmd @param {string[]} args @param {string} cwd */
export function runCommand(cmd, args, cwd) {
	const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } })
	if (result.status !== 0)
		throw new Error(`${cmd} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`)
	return result.stdout
}

/**
 * A scenario's request counts as an error when its status is not 2xx or, with `check`, when its
 * body (read as text) fails the check.
 * `group`: scenarios are interleaved with the others of their group only (see bench/matrix.mjs).
 * @typedef {{ name: string, baseline?: string, group?: number, request: (i: number) => Promise<Response>, check?: (body: string) => boolean }} Scenario
 * @typedef {{ name: string, baseline?: string, n: number, errors: number, p50: number, p90: number, p99: number, max: number, mean: number, rps: number }} Result
 */

/** @param {number[]} sorted @param {number} q */
export function quantile(sorted, q) {
	if (sorted.length === 0) return Number.NaN
	return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/**
 * Measures scenarios sequentially (one request in flight), interleaved round by round.
 * @param {Scenario[]} scenarios
 * @param {{ rounds: number, perRound: number, warmup: number }} options
 * @returns {Promise<Result[]>}
 */
export async function measure(scenarios, { rounds, perRound, warmup }) {
	/** @type {Map<string, { samples: number[], errors: number }>} */
	const acc = new Map(scenarios.map((s) => [s.name, { samples: [], errors: 0 }]))
	let counter = 0
	for (const s of scenarios) {
		for (let i = 0; i < warmup; i++) await (await s.request(counter++)).arrayBuffer()
	}
	for (let round = 0; round < rounds; round++) {
		for (const s of scenarios) {
			const a = acc.get(s.name)
			if (!a) continue
			for (let i = 0; i < perRound; i++) {
				const t0 = performance.now()
				try {
					const res = await s.request(counter++)
					if (s.check) {
						if (!s.check(await res.text()) || !res.ok) a.errors++
					} else {
						await res.arrayBuffer()
						if (!res.ok) a.errors++
					}
				} catch {
					a.errors++
				}
				a.samples.push(performance.now() - t0)
			}
		}
	}
	return scenarios.map((s) => {
		const a = acc.get(s.name) ?? { samples: [], errors: 0 }
		return latencyResult(s, a.samples, a.errors)
	})
}

/**
 * The figures of one scenario's sequential samples (ms); `rps` is what one client in flight got.
 * @param {{ name: string, baseline?: string }} scenario
 * @param {number[]} samples
 * @param {number} errors
 * @returns {Result}
 */
export function latencyResult({ name, baseline }, samples, errors) {
	const sorted = [...samples].sort((x, y) => x - y)
	const busyMs = sorted.reduce((sum, x) => sum + x, 0)
	return {
		name,
		...(baseline && { baseline }),
		n: sorted.length,
		errors,
		p50: quantile(sorted, 0.5),
		p90: quantile(sorted, 0.9),
		p99: quantile(sorted, 0.99),
		max: sorted.at(-1) ?? Number.NaN,
		mean: busyMs / Math.max(1, sorted.length),
		rps: (sorted.length / busyMs) * 1000,
	}
}

/** @param {Result[]} results @returns {string} */
export function table(results) {
	const byName = new Map(results.map((r) => [r.name, r]))
	const header = [
		'scenario',
		'n',
		'err',
		'p50 ms',
		'p90 ms',
		'p99 ms',
		'max ms',
		'req/s',
		'baseline',
		'p50 ×',
		'p99 ×',
		'p50 +ms',
	]
	const rows = results.map((r) => {
		const base = r.baseline ? byName.get(r.baseline) : undefined
		return [
			r.name,
			String(r.n),
			String(r.errors),
			r.p50.toFixed(2),
			r.p90.toFixed(2),
			r.p99.toFixed(2),
			r.max.toFixed(2),
			r.rps.toFixed(0),
			r.baseline ?? '',
			base ? (r.p50 / base.p50).toFixed(2) : '',
			base ? (r.p99 / base.p99).toFixed(2) : '',
			base ? (r.p50 - base.p50).toFixed(2) : '',
		]
	})
	return grid(header, rows)
}

/**
 * Runs `task(0…count-1)` with at most `limit` in flight.
 * @template T
 * @param {number} count
 * @param {number} limit
 * @param {(i: number) => Promise<T>} task
 * @returns {Promise<T[]>}
 */
export async function pool(count, limit, task) {
	/** @type {T[]} */
	const results = new Array(count)
	let next = 0
	const worker = async () => {
		while (next < count) {
			const i = next++
			results[i] = await task(i)
		}
	}
	await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
	return results
}

/**
 * @typedef {{ name: string, concurrency: number, n: number, errors: number, seconds: number, rps: number, p50: number, p99: number }} LoadResult
 */

/**
 * Closed-loop load: `concurrency` clients each send the next request as soon as theirs answers,
 * until `count` requests were sent or `timeMs` passed. Throughput and latency under load.
 * @param {Scenario} s
 * @param {{ concurrency: number, count: number, timeMs: number }} o
 * @returns {Promise<LoadResult>}
 */
export async function closedLoop(s, { concurrency, count, timeMs }) {
	/** @type {number[]} */
	const samples = []
	let errors = 0
	let next = 0
	const t0 = performance.now()
	const deadline = t0 + timeMs
	const client = async () => {
		while (next < count && performance.now() < deadline) {
			const i = next++
			const start = performance.now()
			try {
				const res = await s.request(i)
				const body = await res.text()
				if (!res.ok || (s.check && !s.check(body))) errors++
			} catch {
				errors++
			}
			samples.push(performance.now() - start)
		}
	}
	await Promise.all(Array.from({ length: concurrency }, client))
	const seconds = (performance.now() - t0) / 1000
	const sorted = samples.sort((a, b) => a - b)
	return {
		name: s.name,
		concurrency,
		n: sorted.length,
		errors,
		seconds,
		rps: sorted.length / seconds,
		p50: quantile(sorted, 0.5),
		p99: quantile(sorted, 0.99),
	}
}

/**
 * A fixed-width text table; numbers right-aligned.
 * @param {string[]} header
 * @param {string[][]} rows
 */
export function grid(header, rows) {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
	const numeric = (/** @type {string} */ c) => /^[-+]?[\d.,]+( ?[×%a-zA-Z/]+)?$/.test(c)
	const line = (/** @type {string[]} */ cells) =>
		cells
			.map((c, i) => (numeric(c) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
			.join('  ')
			.trimEnd()
	return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Resolves when the socket is open. @param {WebSocket} ws */
export function opened(ws) {
	return new Promise((resolve, reject) => {
		ws.addEventListener('open', resolve, { once: true })
		ws.addEventListener('error', reject, { once: true })
	})
}
