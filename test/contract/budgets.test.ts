// The bench's budget check (bench/budgets.mjs): pure logic, tested here because this suite runs in
// Node. No timings: the figures are made up; what is tested is how they are judged.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { check, figures, readBudgets } from '../../bench/budgets.mjs'

const budgets = readBudgets(join(import.meta.dirname, '../../bench/budgets.json'))

/** A complete run within every budget; `turnP50` moves the one ratio the tests push over. */
const run = (turnP50: number) => ({
	results: [
		{ name: 'floor.append', p50: 10, p99: 20 },
		{ name: 'turn', p50: turnP50, p99: 30 },
		{ name: 'peer.turn', p50: 40, p99: 90 },
		{ name: 'turn.openai', p50: 14, p99: 40 },
		{ name: 'openai.user', p50: 10, p99: 20 },
		{ name: 'openai.ephemeral', p50: 11, p99: 25 },
		{ name: 'tool.direct', p50: 10, p99: 20 },
		{ name: 'tool.job', p50: 12, p99: 30 },
		{ name: 'turn.tool.lane', p50: 20, p99: 40 },
		{ name: 'turn.tool.job', p50: 25, p99: 60 },
	],
	throughput: [
		{ name: 'turn', rps: 260 },
		{ name: 'peer.turn', rps: 80 },
		{ name: 'turn.openai.load', rps: 50 },
		{ name: 'openai.load', rps: 45 },
	],
	protocols: [
		{ name: 'http.wait', fullP50: 10 },
		{ name: 'openai.stream', fullP50: 11 },
	],
	lane: { floorRatio: 0.8 },
	fanout: { p50Ratio: 1.5 },
	sessions: { lost: 0, duplicated: 0, outOfOrder: 0, errors: 0 },
	soak: { rssPer1000: 4, heapPer1000: -1 },
	peerSoak: { rssPer1000: 8 },
	cold: [{ name: 'edgeclaw', gzipKiB: 500, startupMs: 30 }],
	channels: {
		results: [
			{ name: 'submit.key', p50: 4, p99: 10 },
			{ name: 'channel.ack', p50: 5, p99: 12 },
		],
	},
	web: {
		payload: { gzipKiB: 40 },
		ttft: { results: [{ name: 'web.ttft', p50: 30, p99: 60 }], p50Limit: 32 },
	},
	telemetry: { p50Ratio: 1.01 },
	subagents: [
		{ name: 'subagent.plain-turn', p50: 20, p99: 40 },
		{ name: 'subagent.announce', p50: 50, p99: 90 },
	],
	schedules: {
		alarms: { p99: 400 },
		schedules: { count: 1_000, fired: 1_000, twice: 0, p99: 3_000 },
	},
})

describe('bench budgets', () => {
	it('computes every figure budgets.json names', () => {
		const values = figures(run(12))
		for (const b of budgets) expect(values[b.figure], b.figure).toSatisfy(Number.isFinite)
	})

	it('passes a run within every budget and names the one it misses', () => {
		expect(check(budgets, figures(run(12))).filter((v) => !v.ok)).toEqual([])
		const missed = check(budgets, figures(run(16))).filter((v) => !v.ok)
		expect(missed.map((v) => v.figure)).toEqual(['turn.p50 / floor.p50'])
		expect(missed[0]?.value).toBeCloseTo(1.6)
		const slowOpenAI = {
			...run(12),
			protocols: [
				{ name: 'http.wait', fullP50: 10 },
				{ name: 'openai.stream', fullP50: 12 },
			],
			soak: { rssPer1000: 9, heapPer1000: 0 },
		}
		expect(
			check(budgets, figures(slowOpenAI))
				.filter((v) => !v.ok)
				.map((v) => [v.figure, v.value]),
		).toEqual([
			['openai.stream / http.wait', 1.2],
			['soak.rss − peer.soak.rss MiB / 1000 turns', 1],
		])
	})

	it('fails a budget whose scenario did not run, and a lower bound that is not reached', () => {
		const partial = {
			...run(12),
			throughput: [],
			lane: null,
			fanout: null,
			soak: null,
			channels: null,
			web: {},
			subagents: [],
			schedules: null,
		}
		const missed = check(budgets, figures(partial))
			.filter((v) => !v.ok)
			.map((v) => v.figure)
		expect(missed).toEqual([
			'turn.rps / peer.rps',
			'openai.load.rps / turn.openai.load.rps',
			'one-lane msg/s / floor 8-submitter appends/s',
			'fanout.final.p50 100 / 1 subscriber',
			'soak.rss MiB / 1000 turns',
			'soak.rss − peer.soak.rss MiB / 1000 turns',
			'soak.heap MiB / 1000 turns',
			'channel.ack.p50 / submit.p50',
			'channel.ack.p99 / submit.p99',
			'web.ui gzip KiB',
			'web.ttft.p50 / (1.2 × ws.ttft.p50 + 20 ms)',
			'subagent.announce.p50 / subagent.plain-turn.p50',
			'schedules not fired once',
			'schedule.p99 / (alarm.bare.p99 + 5 s)',
		])
		const twice = {
			...run(12),
			schedules: { ...run(12).schedules, schedules: { ...run(12).schedules.schedules, twice: 1 } },
		}
		expect(
			check(budgets, figures(twice)).find((v) => v.figure === 'schedules not fired once'),
		).toMatchObject({ ok: false, value: 1 })
		const slow = {
			...run(12),
			throughput: [
				{ name: 'turn', rps: 200 },
				{ name: 'peer.turn', rps: 80 },
				{ name: 'turn.openai.load', rps: 50 },
				{ name: 'openai.load', rps: 45 },
			],
		}
		expect(
			check(budgets, figures(slow)).find((v) => v.figure === 'turn.rps / peer.rps'),
		).toMatchObject({ ok: false, limit: '≥ 3' })
		const slowLane = { ...run(12), lane: { floorRatio: 0.4 }, fanout: { p50Ratio: 2.5 } }
		expect(
			check(budgets, figures(slowLane))
				.filter((v) => !v.ok)
				.map((v) => [v.figure, v.limit]),
		).toEqual([
			['one-lane msg/s / floor 8-submitter appends/s', '≥ 0.5'],
			['fanout.final.p50 100 / 1 subscriber', '≤ 2'],
		])
	})
})
