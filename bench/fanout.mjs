// The `fanout` scenario: one session followed by `subscribers` native WebSocket clients; each turn
// is submitted once and its `final` event timed at every subscriber (delivery latency = submit →
// that subscriber's final). The same with one subscriber on another session is the baseline.
import { performance } from 'node:perf_hooks'
import { opened, quantile } from './lib.mjs'

/**
 * @param {{ url: string, token: string, session: string, subscribers: number, turns: number }} o
 */
async function deliveries(o) {
	const auth = { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' }
	const post = (/** @type {string} */ content, /** @type {boolean} */ wait) =>
		fetch(`${o.url}/v1/sessions/${o.session}/messages`, {
			method: 'POST',
			headers: auth,
			body: JSON.stringify({ content, wait }),
		})
	// The session must exist before it can be followed.
	await (await post('hello', true)).arrayBuffer()
	/** @type {Map<string, { t0: number, left: number, done: () => void }>} */
	const open = new Map()
	/** @type {number[]} */
	const latencies = []
	/** @type {Map<string, number>} finals that arrived before their submit's 202 */
	const early = new Map()
	let missed = 0
	const sockets = await Promise.all(
		Array.from({ length: o.subscribers }, async () => {
			const ws = new WebSocket(
				`${o.url.replace(/^http/, 'ws')}/v1/sessions/${o.session}/ws?after=1000000000`,
				['edgeclaw', `bearer.${o.token}`],
			)
			await opened(ws)
			ws.addEventListener('message', (m) => {
				// 100 sockets × every event of a turn: parse only finals, so the harness's own JSON
				// work does not become the measurement.
				const data = String(m.data)
				if (!data.includes('"type":"final"')) return
				const e = JSON.parse(data)
				if (e.type !== 'final') return
				const at = performance.now()
				const run = open.get(e.runId)
				if (!run) {
					early.set(e.runId, (early.get(e.runId) ?? 0) + 1)
					return
				}
				latencies.push(at - run.t0)
				if (--run.left === 0) run.done()
			})
			return ws
		}),
	)
	try {
		for (let i = 0; i < o.turns; i++) {
			const t0 = performance.now()
			const res = await post(`fan ${i}`, false)
			const { runId } = /** @type {{ runId: string }} */ (await res.json())
			await new Promise((resolve) => {
				const arrivedEarly = early.get(runId) ?? 0
				early.delete(runId)
				// A final that beat the 202 back counts at the 202's time (an upper bound for it).
				for (let k = 0; k < arrivedEarly; k++) latencies.push(performance.now() - t0)
				const left = o.subscribers - arrivedEarly
				if (left === 0) return resolve(undefined)
				const timer = setTimeout(() => {
					missed += open.get(runId)?.left ?? 0
					open.delete(runId)
					resolve(undefined)
				}, 10_000)
				open.set(runId, {
					t0,
					left,
					done: () => {
						clearTimeout(timer)
						open.delete(runId)
						resolve(undefined)
					},
				})
			})
		}
	} finally {
		for (const ws of sockets) ws.close()
	}
	const sorted = latencies.sort((a, b) => a - b)
	return {
		subscribers: o.subscribers,
		turns: o.turns,
		deliveries: sorted.length,
		missed,
		p50: quantile(sorted, 0.5),
		p99: quantile(sorted, 0.99),
		max: sorted.at(-1) ?? Number.NaN,
	}
}

/**
 * @param {{ url: string, token: string, subscribers: number, turns: number }} o
 */
export async function fanoutScenario(o) {
	const one = await deliveries({ ...o, session: 'fanout-one', subscribers: 1 })
	const many = await deliveries({ ...o, session: 'fanout-many' })
	return { one, many, p99Ratio: many.p99 / one.p99, p50Ratio: many.p50 / one.p50 }
}
