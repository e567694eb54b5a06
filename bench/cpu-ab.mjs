// CPU per turn of two checkouts of the product, side by side: each under `wrangler dev` at once,
// the same native turn (`POST /v1/sessions/{key}/messages` with `wait: true`, 64 sessions, one in
// flight) sent in alternating blocks, and the CPU time the kernel charged to each one's workerd
// processes during its blocks (utime + stime from /proc, so Linux only). CPU time does not count
// the time a process waits for a core, so on a busy machine it moves far less than latency does;
// alternating blocks spread what drift there is over both.
// Usage: npx node bench/cpu-ab.mjs <checkout A> <checkout B> [--blocks=12] [--turns=200]
// (each checkout with its node_modules and a built dist/web; prints one line of JSON)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const [a, b] = process.argv.slice(2).filter((x) => !x.startsWith('--'))
if (!a || !b)
	throw new Error('usage: bench/cpu-ab.mjs <checkout A> <checkout B> [--blocks=12] [--turns=200]')
const arg = (/** @type {string} */ name, /** @type {number} */ fallback) =>
	Number(process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const BLOCKS = arg('blocks', 12)
const TURNS = arg('turns', 200)
const TOKEN = 'bench-admin-token-0123456789abcdef'

/** Pids of every running workerd. */
const workerds = () =>
	new Set(
		readdirSync('/proc').filter((p) => {
			try {
				return /^\d+$/.test(p) && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'workerd'
			} catch {
				return false
			}
		}),
	)

/** CPU ms charged so far to `pids` (clock ticks of 10 ms). @param {string[]} pids */
function cpuMs(pids) {
	let ticks = 0
	for (const pid of pids) {
		try {
			const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
			ticks += Number(fields[11]) + Number(fields[12])
		} catch {}
	}
	return ticks * 10
}

/** @type {string[]} */
const states = []
/** The product of checkout `dir` and the workerd processes it started. @param {string} dir */
async function start(dir) {
	const { startProduct } = await import(join(resolve(dir), 'bench', 'lib.mjs'))
	const state = mkdtempSync(join(tmpdir(), 'edgeclaw-cpu-ab-'))
	states.push(state)
	const before = workerds()
	const product = await startProduct({
		cwd: resolve(dir),
		state,
		vars: {
			EDGECLAW_LOG_LEVEL: 'warn',
			EDGECLAW_RATE_LIMITS: 'disabled',
			EDGECLAW_ADMIN_TOKEN: TOKEN,
		},
	})
	return { ...product, pids: [...workerds()].filter((p) => !before.has(p)) }
}

/** @param {{ url: string }} product @param {number} i */
async function turn(product, i) {
	const res = await fetch(`${product.url}/v1/sessions/cpu-${i % 64}/messages`, {
		method: 'POST',
		headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
		body: JSON.stringify({ content: `message ${i}`, wait: true }),
	})
	const body = await res.text()
	if (res.status !== 200) throw new Error(`turn: ${res.status} ${body}`)
}

const products = { A: await start(a), B: await start(b) }
try {
	for (let i = 0; i < 200; i++) for (const p of Object.values(products)) await turn(p, i)
	/** @type {Record<'A' | 'B', { cpu: number[], wall: number[] }>} */
	const blocks = { A: { cpu: [], wall: [] }, B: { cpu: [], wall: [] } }
	for (let k = 0; k < BLOCKS; k++) {
		/** @type {('A' | 'B')[]} */
		const order = k % 2 ? ['B', 'A'] : ['A', 'B']
		for (const name of order) {
			const p = products[name]
			const cpu0 = cpuMs(p.pids)
			const t0 = performance.now()
			for (let i = 0; i < TURNS; i++) await turn(p, k * TURNS + i)
			blocks[name].wall.push((performance.now() - t0) / TURNS)
			blocks[name].cpu.push((cpuMs(p.pids) - cpu0) / TURNS)
		}
	}
	const mean = (/** @type {number[]} */ x) => x.reduce((s, v) => s + v, 0) / x.length
	const median = (/** @type {number[]} */ x) => [...x].sort((p, q) => p - q)[x.length >> 1] ?? NaN
	console.log(
		JSON.stringify({
			turns: BLOCKS * TURNS,
			A: {
				checkout: a,
				cpuMsPerTurn: +mean(blocks.A.cpu).toFixed(2),
				wallMsMedian: +median(blocks.A.wall).toFixed(2),
			},
			B: {
				checkout: b,
				cpuMsPerTurn: +mean(blocks.B.cpu).toFixed(2),
				wallMsMedian: +median(blocks.B.wall).toFixed(2),
			},
			cpuB_A: +(mean(blocks.B.cpu) / mean(blocks.A.cpu)).toFixed(3),
		}),
	)
} finally {
	await Promise.all(Object.values(products).map((p) => p.stop()))
	for (const state of states) rmSync(state, { recursive: true, force: true })
}
