// Budgets: the figures `bench/budgets.json` sets limits on, computed from one run's results, and
// the check that `--check` turns into an exit code.
import { readFileSync } from 'node:fs'
import { grid } from './lib.mjs'

/**
 * @typedef {{ figure: string, goal: string, max?: number, min?: number, deployMax?: number }} Budget
 * @typedef {{ figure: string, goal: string, value: number, limit: string, ok: boolean }} Verdict
 * @typedef {{ name: string, p50: number, p99: number }} Latency
 * @typedef {{ name: string, rps: number }} Throughput
 */

/** @param {string} file @returns {Budget[]} */
export function readBudgets(file) {
	return /** @type {{ budgets: Budget[] }} */ (JSON.parse(readFileSync(file, 'utf8'))).budgets
}

/**
 * The figures of a run, by the names budgets use. A figure whose scenario did not run is NaN
 * (and fails its budget: a check is never passed by leaving a scenario out).
 * @param {{ results: Latency[], throughput: Throughput[], protocols?: { name: string, fullP50: number }[], lane?: { floorRatio: number } | null, fanout?: { p50Ratio: number } | null, subagents?: Latency[], schedules?: { alarms: { p99: number }, schedules: { count: number, fired: number, twice: number, p99: number } } | null, telemetry?: { p50Ratio: number } | null, sessions?: { lost: number, duplicated: number, outOfOrder: number, errors: number } | null, soak?: { rssPer1000: number, heapPer1000: number } | null, peerSoak?: { rssPer1000: number } | null, cold?: { name: string, gzipKiB: number, startupMs?: number }[], channels?: { results: Latency[] } | null, web?: { payload?: { gzipKiB: number } | null, ttft?: { results: Latency[], p50Limit: number } | null } | null }} run
 * @returns {Record<string, number>}
 */
export function figures(run) {
	const lat = (/** @type {string} */ n) => run.results.find((r) => r.name === n)
	const rps = (/** @type {string} */ n) =>
		run.throughput.find((r) => r.name === n)?.rps ?? Number.NaN
	const ratio = (/** @type {number | undefined} */ a, /** @type {number | undefined} */ b) =>
		a === undefined || b === undefined ? Number.NaN : a / b
	const s = run.sessions
	const channel = (/** @type {string} */ n) => run.channels?.results.find((r) => r.name === n)
	const ttft = run.web?.ttft
	const sub = (/** @type {string} */ n) => run.subagents?.find((r) => r.name === n)
	const sched = run.schedules
	const proto = (/** @type {string} */ n) => run.protocols?.find((p) => p.name === n)?.fullP50
	return {
		'turn.p50 / floor.p50': ratio(lat('turn')?.p50, lat('floor.append')?.p50),
		'turn.p99 / floor.p99': ratio(lat('turn')?.p99, lat('floor.append')?.p99),
		'turn.rps / peer.rps': rps('turn') / rps('peer.turn'),
		'turn.p50 / peer.p50': ratio(lat('turn')?.p50, lat('peer.turn')?.p50),
		'turn.openai.p50 / turn.p50': ratio(lat('turn.openai')?.p50, lat('turn')?.p50),
		'openai.stream / http.wait': ratio(proto('openai.stream'), proto('http.wait')),
		'openai.ephemeral.p50 / openai.user.p50': ratio(
			lat('openai.ephemeral')?.p50,
			lat('openai.user')?.p50,
		),
		'openai.load.rps / turn.openai.load.rps': rps('openai.load') / rps('turn.openai.load'),
		'tool.job.p50 / tool.direct.p50': ratio(lat('tool.job')?.p50, lat('tool.direct')?.p50),
		'turn.tool.job.p50 / turn.tool.lane.p50': ratio(
			lat('turn.tool.job')?.p50,
			lat('turn.tool.lane')?.p50,
		),
		'one-lane msg/s / floor 8-submitter appends/s': run.lane?.floorRatio ?? Number.NaN,
		'fanout.final.p50 100 / 1 subscriber': run.fanout?.p50Ratio ?? Number.NaN,
		'sessions.lost': s ? s.lost + s.errors : Number.NaN,
		'sessions.outOfOrder': s ? s.outOfOrder + s.duplicated : Number.NaN,
		'soak.rss MiB / 1000 turns': run.soak?.rssPer1000 ?? Number.NaN,
		'soak.heap MiB / 1000 turns': run.soak?.heapPer1000 ?? Number.NaN,
		'soak.rss − peer.soak.rss MiB / 1000 turns':
			(run.soak?.rssPer1000 ?? Number.NaN) - (run.peerSoak?.rssPer1000 ?? Number.NaN),
		'channel.ack.p50 / submit.p50': ratio(channel('channel.ack')?.p50, channel('submit.key')?.p50),
		'channel.ack.p99 / submit.p99': ratio(channel('channel.ack')?.p99, channel('submit.key')?.p99),
		'bundle.gzip KiB': run.cold?.find((c) => c.name === 'edgeclaw')?.gzipKiB ?? Number.NaN,
		'cold.startup CPU ms': run.cold?.find((c) => c.name === 'edgeclaw')?.startupMs ?? Number.NaN,
		'web.ui gzip KiB': run.web?.payload?.gzipKiB ?? Number.NaN,
		'turn.p50 telemetry on / off': run.telemetry?.p50Ratio ?? Number.NaN,
		'subagent.announce.p50 / subagent.plain-turn.p50': ratio(
			sub('subagent.announce')?.p50,
			sub('subagent.plain-turn')?.p50,
		),
		'schedules not fired once': sched
			? sched.schedules.count - sched.schedules.fired + sched.schedules.twice
			: Number.NaN,
		'schedule.p99 / (alarm.bare.p99 + 5 s)': sched
			? sched.schedules.p99 / (sched.alarms.p99 + 5_000)
			: Number.NaN,
		'web.ttft.p50 / (1.2 × ws.ttft.p50 + 20 ms)': ratio(
			ttft?.results.find((r) => r.name === 'web.ttft')?.p50,
			ttft?.p50Limit,
		),
	}
}

/** @param {Budget[]} budgets @param {Record<string, number>} values @returns {Verdict[]} */
export function check(budgets, values) {
	return budgets.map((b) => {
		const value = values[b.figure] ?? Number.NaN
		const ok =
			Number.isFinite(value) &&
			(b.max === undefined || value <= b.max) &&
			(b.min === undefined || value >= b.min)
		const limit = [b.min !== undefined && `≥ ${b.min}`, b.max !== undefined && `≤ ${b.max}`]
			.filter(Boolean)
			.join(' ')
		return { figure: b.figure, goal: b.goal, value, limit, ok }
	})
}

/** @param {Verdict[]} verdicts */
export function verdictTable(verdicts) {
	return grid(
		['budget', 'value', 'limit', 'ok'],
		verdicts.map((v) => [
			v.figure,
			Number.isInteger(v.value) ? String(v.value) : v.value.toFixed(2),
			v.limit,
			v.ok ? 'yes' : 'MISSED',
		]),
	)
}
