#!/usr/bin/env node
// `npm run fuzz`: starts the product Worker under wrangler dev on a fresh local D1 (the helper the
// bench and the contract tests use), reads its OpenAPI document, creates a two-tenant world and
// sends requests generated from the document (fuzz/requests.mjs) as every principal, judging each
// answer (fuzz/oracles.mjs). Prints a table per route, method and status class and every failing
// request as a curl line with the seed; exits 1 on any failure. Not in `npm test` (a sample is).
//   --count=N        requests (default 10000)
//   --seed=S         the seed (default: random, printed); the same seed sends the same requests
//   --url=URL        fuzz a running gateway instead (admin token from EDGECLAW_ADMIN_TOKEN or .dev.vars)
//   --concurrency=C  requests in flight (default 8)
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { grid, pool, quantile, startProduct } from '../bench/lib.mjs'
import { curl, exchange, judge } from './oracles.mjs'
import { operations, sampleRequests } from './requests.mjs'
import { createWorld } from './world.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const option = (/** @type {string} */ name) =>
	argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const integer = (/** @type {string} */ name, /** @type {number} */ fallback) => {
	const raw = option(name)
	if (raw === undefined) return fallback
	const n = Number(raw)
	if (!Number.isSafeInteger(n) || n < 0) {
		console.error(`--${name} must be a non-negative integer, not "${raw}"`)
		process.exit(2)
	}
	return n
}
const count = integer('count', 10_000)
const seed = integer('seed', randomInt(2 ** 31 - 1))
const concurrency = Math.max(1, integer('concurrency', 8))
const url = option('url')?.replace(/\/+$/, '')

/** Local secrets of a gateway started by `npm run dev` (.dev.vars), by name. */
function devVars() {
	const file = join(root, '.dev.vars')
	/** @type {Record<string, string>} */
	const vars = {}
	if (!existsSync(file)) return vars
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		const m = /^\s*([A-Z0-9_]+)\s*=\s*"?([^"\n]*)"?\s*$/.exec(line)
		if (m?.[1] && m[2]) vars[m[1]] = m[2]
	}
	return vars
}

/** @type {{ name: string, value: string }[]} */
let secrets = []
let adminToken = ''
/** @type {import('../bench/lib.mjs').RunningWorker | undefined} */
let worker
let state = ''
let base = url ?? ''
const cleanup = async () => {
	await worker?.stop()
	if (state) rmSync(state, { recursive: true, force: true })
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
	process.on(signal, () => {
		void cleanup().then(() => process.exit(130))
	})

const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`
try {
	if (url) {
		const vars = devVars()
		adminToken = process.env.EDGECLAW_ADMIN_TOKEN ?? vars.EDGECLAW_ADMIN_TOKEN ?? ''
		if (!adminToken)
			throw new Error('--url needs the admin token: EDGECLAW_ADMIN_TOKEN or .dev.vars')
		secrets = ['EDGECLAW_SECRETS_KEY', 'EDGECLAW_AUDIT_KEY', 'EDGECLAW_KEY_PEPPER']
			.filter((name) => vars[name])
			.map((name) => ({ name, value: vars[name] ?? '' }))
	} else {
		adminToken = randomBytes(24).toString('base64url')
		const keys = {
			EDGECLAW_SECRETS_KEY: randomBytes(32).toString('base64'),
			EDGECLAW_AUDIT_KEY: randomBytes(32).toString('base64'),
		}
		secrets = Object.entries(keys).map(([name, value]) => ({ name, value }))
		state = mkdtempSync(join(tmpdir(), 'edgeclaw-fuzz-'))
		console.error(`[${elapsed()}] starting wrangler dev on a fresh local D1`)
		worker = await startProduct({
			cwd: root,
			state,
			vars: { EDGECLAW_LOG_LEVEL: 'error', EDGECLAW_ADMIN_TOKEN: adminToken, ...keys },
		})
		base = worker.url
	}
	const doc = /** @type {import('./requests.mjs').OpenAPIDocument} */ (
		await (await fetch(`${base}/openapi.json`)).json()
	)
	const ops = operations(doc)
	const world = await createWorld((path, init) => fetch(`${base}${path}`, init), {
		adminToken,
		nonce: randomBytes(4).toString('hex'),
		secrets,
	})
	const requests = sampleRequests(doc, world, { count, seed })
	console.log(
		`edgeclaw fuzz: ${requests.length} requests, seed ${seed}, ${concurrency} in flight, ${base}` +
			`${worker ? ' (wrangler dev, fresh local D1)' : ''}\nOpenAPI: ${ops.length} operations` +
			` (${ops.filter((o) => o.websocket).length} WebSocket upgrades: plain GET only), plus paths` +
			` outside the document; principals: ${world.principals.map((p) => p.name).join(', ')}` +
			" and anonymous; tenant b is tenant a's foreign tenant and the other way round.\n",
	)
	let done = 0
	const results = await pool(requests.length, concurrency, async (i) => {
		const req = /** @type {import('./requests.mjs').FuzzRequest} */ (requests[i])
		const t0 = performance.now()
		const outcome = await exchange(fetch, base, req)
		const ms = performance.now() - t0
		if (++done % 1_000 === 0) console.error(`[${elapsed()}] ${done} requests`)
		return { i, req, outcome, ms, failures: judge(req, outcome, world) }
	})

	const classOf = (/** @type {import('./oracles.mjs').Outcome} */ o) =>
		'error' in o ? 'none' : `${Math.floor(o.status / 100)}xx`
	const CLASSES = ['2xx', '3xx', '4xx', '5xx', 'none']
	/** @param {(r: (typeof results)[number]) => string} keyOf */
	const tally = (keyOf) => {
		/** @type {Map<string, { counts: Record<string, number>, ms: number[] }>} */
		const rows = new Map()
		for (const r of results) {
			const key = keyOf(r)
			const row = rows.get(key) ?? { counts: { n: 0, failing: 0, foreign: 0 }, ms: [] }
			const { counts } = row
			counts.n = (counts.n ?? 0) + 1
			const c = classOf(r.outcome)
			counts[c] = (counts[c] ?? 0) + 1
			if (r.failures.length > 0) counts.failing = (counts.failing ?? 0) + 1
			if (r.req.foreign) counts.foreign = (counts.foreign ?? 0) + 1
			row.ms.push(r.ms)
			rows.set(key, row)
		}
		return [...rows.entries()].sort(([a], [b]) => a.localeCompare(b))
	}
	const cells = (/** @type {{ counts: Record<string, number>, ms: number[] }} */ row) => {
		const ms = row.ms.sort((a, b) => a - b)
		return [
			String(row.counts.n ?? 0),
			...CLASSES.map((c) => String(row.counts[c] ?? 0)),
			String(row.counts.failing ?? 0),
			quantile(ms, 0.5).toFixed(0),
			(ms.at(-1) ?? 0).toFixed(0),
		]
	}
	console.log(
		grid(
			['route', 'method', 'n', ...CLASSES, 'failing', 'p50 ms', 'max ms'],
			tally((r) => {
				const [method, ...template] = r.req.route.split(' ')
				return `${template.join(' ')}\t${method}`
			}).map(([key, row]) => [...key.split('\t'), ...cells(row)]),
		),
	)
	console.log()
	console.log(
		grid(
			['principal', 'n', ...CLASSES, 'failing', 'p50 ms', 'max ms', 'foreign'],
			tally((r) => r.req.principal).map(([key, row]) => [
				key,
				...cells(row),
				String(row.counts.foreign ?? 0),
			]),
		),
	)
	const failing = results.filter((r) => r.failures.length > 0)
	const fivexx = results.filter((r) => classOf(r.outcome) === '5xx').length
	console.log(
		`\n${results.length} requests in ${elapsed()}: ${fivexx} × 5xx, ${failing.length} failing.`,
	)
	for (const r of failing.slice(0, 50)) {
		console.log(
			`\n#${r.i} ${r.req.route} as ${r.req.principal}${r.req.foreign ? ' (foreign)' : ''}: ${r.failures.join('; ')}`,
		)
		if (!('error' in r.outcome))
			console.log(`  answer ${r.outcome.status}: ${r.outcome.text.slice(0, 300)}`)
		console.log(`  ${curl(r.req, base, world)}`)
	}
	if (failing.length > 50) console.log(`\n… and ${failing.length - 50} more.`)
	if (failing.length > 0) {
		console.log(`\nseed ${seed}: rerun with npm run fuzz -- --seed=${seed} --count=${count}`)
		const errors = (worker?.output() ?? '')
			.split('\n')
			.filter((l) => l.includes('"level":"error"'))
			.slice(-20)
		if (errors.length > 0) console.log(`\nThe gateway's last error lines:\n${errors.join('\n')}`)
	}
	await cleanup()
	process.exit(failing.length > 0 ? 1 : 0)
} catch (error) {
	console.error(error)
	if (worker) console.error(worker.output().split('\n').slice(-30).join('\n'))
	await cleanup()
	process.exit(1)
}
