#!/usr/bin/env node
// Alarm lateness of many schedules due in the same minute: starts the product under `wrangler dev`,
// creates N `at` schedules (default 1,000) all due at the same second, waits until every one has
// fired, and prints how late each fire was after its due time (p50/p90/p99/max), how many fired,
// and whether any slot fired twice. Writes bench/results/schedules.json. Not in `npm test`.
//   node bench/schedules.mjs [--count=1000] [--lead=90]   (lead: seconds from now to the due time)
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { grid, pool, quantile, startProduct } from './lib.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const flag = (/** @type {string} */ name, /** @type {number} */ fallback) =>
	Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const count = flag('count', 1_000)
const leadS = flag('lead', 90)

const state = mkdtempSync(join(tmpdir(), 'edgeclaw-bench-schedules-'))
const token = randomBytes(24).toString('base64url')
const auth = { authorization: `Bearer ${token}` }
const log = (/** @type {string} */ text) => console.error(`[${new Date().toISOString()}] ${text}`)

mkdirSync(join(root, 'dist', 'web'), { recursive: true })
const product = await startProduct({
	cwd: root,
	state,
	vars: {
		EDGECLAW_LOG_LEVEL: 'warn',
		EDGECLAW_RATE_LIMITS: 'disabled',
		EDGECLAW_ADMIN_TOKEN: token,
	},
})
try {
	const dueAt = Math.ceil((Date.now() + leadS * 1_000) / 1_000) * 1_000
	log(`creating ${count} schedules due at ${new Date(dueAt).toISOString()}`)
	await pool(count, 32, async (i) => {
		const res = await fetch(`${product.url}/v1/schedules`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify({
				id: `bench-${i}`,
				schedule: { kind: 'at', at: new Date(dueAt).toISOString() },
				target: { agentId: 'main', session: 'isolated', message: `tick ${i}` },
			}),
		})
		if (res.status !== 201) throw new Error(`create bench-${i}: ${res.status} ${await res.text()}`)
		await res.arrayBuffer()
	})
	if (Date.now() >= dueAt) throw new Error('creating took longer than the lead; raise --lead')
	log('waiting for every schedule to fire')
	/** @type {Map<number, { status: string, firedAt: number }[]>} */
	const fired = new Map()
	const deadline = dueAt + 5 * 60_000
	while (fired.size < count && Date.now() < deadline) {
		await new Promise((r) => setTimeout(r, 2_000))
		if (Date.now() < dueAt) continue
		const open = Array.from({ length: count }, (_, i) => i).filter((i) => !fired.has(i))
		await pool(open.length, 32, async (k) => {
			const i = /** @type {number} */ (open[k])
			const res = await fetch(`${product.url}/v1/schedules/bench-${i}/runs`, { headers: auth })
			const page = /** @type {{ runs: { status: string, firedAt: string }[] }} */ (await res.json())
			const done = page.runs.filter((r) => r.status !== 'queued')
			if (done.length > 0)
				fired.set(
					i,
					page.runs.map((r) => ({ status: r.status, firedAt: Date.parse(r.firedAt) })),
				)
		})
		log(`${fired.size} of ${count} fired`)
	}
	const lateness = [...fired.values()]
		.map((runs) => /** @type {{ firedAt: number }} */ (runs[0]).firedAt - dueAt)
		.sort((a, b) => a - b)
	const twice = [...fired.values()].filter((runs) => runs.length > 1).length
	const failed = [...fired.values()].filter((runs) => runs.some((r) => r.status !== 'ok')).length
	const result = {
		count,
		fired: fired.size,
		firedTwice: twice,
		notOk: failed,
		latenessMs: {
			p50: quantile(lateness, 0.5),
			p90: quantile(lateness, 0.9),
			p99: quantile(lateness, 0.99),
			max: lateness.at(-1) ?? Number.NaN,
		},
	}
	console.log(
		grid(
			['schedules', 'fired', 'fired twice', 'not ok', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
			[
				[
					String(count),
					String(result.fired),
					String(twice),
					String(failed),
					...[
						result.latenessMs.p50,
						result.latenessMs.p90,
						result.latenessMs.p99,
						result.latenessMs.max,
					].map((v) => v.toFixed(0)),
				],
			],
		),
	)
	writeFileSync(
		join(root, 'bench/results/schedules.json'),
		`${JSON.stringify(result, null, '\t')}\n`,
	)
	if (result.fired < count || twice > 0) process.exitCode = 1
} finally {
	await product.stop()
	rmSync(state, { recursive: true, force: true })
}
