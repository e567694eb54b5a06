// The `schedules` phase: how late many schedules due in the same second fire, against bare
// Durable Object alarms due together in the same run (the floor's FloorAlarm: an alarm that only
// records when it ran). First `count` bare alarms, then `count` `at` schedules of the product
// (each fire reads its definition from D1, claims its slot and submits a turn to a fresh
// session); both wait until every one has fired, then report lateness (fire − due) p50/p90/p99,
// how many fired, and whether any fired twice.
import { grid, pool, quantile } from './lib.mjs'

/**
 * @typedef {{ count: number, fired: number, twice: number, notOk: number, p50: number, p90: number, p99: number, max: number }} Lateness
 */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms))

/** @param {number[]} lateness @param {number} count @param {number} twice @param {number} notOk @returns {Lateness} */
function summary(lateness, count, twice, notOk) {
	const sorted = [...lateness].sort((a, b) => a - b)
	return {
		count,
		fired: sorted.length,
		twice,
		notOk,
		p50: quantile(sorted, 0.5),
		p90: quantile(sorted, 0.9),
		p99: quantile(sorted, 0.99),
		max: sorted.at(-1) ?? Number.NaN,
	}
}

/**
 * Polls `look(i)` for every index not yet done until all are, or `deadline` passes.
 * @template T
 * @param {number} count @param {number} deadline
 * @param {(i: number) => Promise<T | undefined>} look
 * @param {(text: string) => void} log
 * @returns {Promise<Map<number, T>>}
 */
async function until(count, deadline, look, log) {
	/** @type {Map<number, T>} */
	const done = new Map()
	while (done.size < count && Date.now() < deadline) {
		await sleep(1_000)
		const open = Array.from({ length: count }, (_, i) => i).filter((i) => !done.has(i))
		await pool(open.length, 32, async (k) => {
			const i = /** @type {number} */ (open[k])
			const seen = await look(i)
			if (seen !== undefined) done.set(i, seen)
		})
		log(`${done.size} of ${count} fired`)
	}
	return done
}

/**
 * @param {{ url: string, headers: Record<string, string>, floor: string, count: number, leadS: number, log: (text: string) => void }} o
 * @returns {Promise<{ alarms: Lateness, schedules: Lateness }>}
 */
export async function schedulesScenario(o) {
	const tag = Date.now().toString(36)

	// The floor: bare alarms, all due at one second, armed as long ahead as the schedules are.
	const alarmDue = Math.ceil((Date.now() + o.leadS * 1_000) / 1_000) * 1_000
	await pool(o.count, 32, async (i) => {
		const res = await fetch(`${o.floor}/alarms/${tag}-${i}?at=${alarmDue}`, { method: 'POST' })
		if (res.status !== 204) throw new Error(`floor alarm ${i}: ${res.status}`)
	})
	if (Date.now() >= alarmDue) throw new Error('arming the floor alarms took longer than the lead')
	while (Date.now() < alarmDue) await sleep(500)
	const alarms = await until(
		o.count,
		alarmDue + 5 * 60_000,
		async (i) => {
			const res = await fetch(`${o.floor}/alarms/${tag}-${i}`)
			const state = /** @type {{ fired: number[] }} */ (await res.json())
			return state.fired.length > 0 ? state.fired : undefined
		},
		o.log,
	)

	// The product: `at` schedules, all due at one second, each fire a turn in a fresh session.
	const dueAt = Math.ceil((Date.now() + o.leadS * 1_000) / 1_000) * 1_000
	const json = { ...o.headers, 'content-type': 'application/json' }
	await pool(o.count, 32, async (i) => {
		const res = await fetch(`${o.url}/v1/schedules`, {
			method: 'POST',
			headers: json,
			body: JSON.stringify({
				id: `bench-${tag}-${i}`,
				schedule: { kind: 'at', at: new Date(dueAt).toISOString() },
				target: { agentId: 'main', session: 'isolated', message: `tick ${i}` },
			}),
		})
		if (res.status !== 201) throw new Error(`schedule ${i}: ${res.status} ${await res.text()}`)
		await res.arrayBuffer()
	})
	if (Date.now() >= dueAt) throw new Error('creating the schedules took longer than the lead')
	while (Date.now() < dueAt) await sleep(1_000)
	const fired = await until(
		o.count,
		dueAt + 5 * 60_000,
		async (i) => {
			const res = await fetch(`${o.url}/v1/schedules/bench-${tag}-${i}/runs`, {
				headers: o.headers,
			})
			const page = /** @type {{ runs: { status: string, firedAt: string }[] }} */ (await res.json())
			return page.runs.some((r) => r.status !== 'queued') ? page.runs : undefined
		},
		o.log,
	)
	const runs = [...fired.values()]
	return {
		alarms: summary(
			[...alarms.values()].map((f) => /** @type {number} */ (f[0]) - alarmDue),
			o.count,
			[...alarms.values()].filter((f) => f.length > 1).length,
			0,
		),
		schedules: summary(
			runs.map((r) => Date.parse(/** @type {{ firedAt: string }} */ (r.at(-1)).firedAt) - dueAt),
			o.count,
			runs.filter((r) => r.length > 1).length,
			runs.filter((r) => r.some((x) => x.status !== 'ok')).length,
		),
	}
}

/** @param {{ alarms: Lateness, schedules: Lateness }} r */
export function schedulesTable(r) {
	return grid(
		['scenario', 'due', 'fired', 'twice', 'not ok', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
		/** @type {const} */ ([
			['alarm.bare', r.alarms],
			['schedule.at', r.schedules],
		]).map(([name, l]) => [
			name,
			String(l.count),
			String(l.fired),
			String(l.twice),
			String(l.notOk),
			...[l.p50, l.p90, l.p99, l.max].map((v) => v.toFixed(0)),
		]),
	)
}
