// The summary table of a bench run: a row for each phase that has no latency table of its own
// (one lane, fan-out, sessions, the soaks, cold start) and the runtimes' memory.
import { grid } from './lib.mjs'

/**
 * @param {{
 *   lane: Awaited<ReturnType<typeof import('./lane.mjs').oneLaneScenario>> | null,
 *   fanout: Awaited<ReturnType<typeof import('./fanout.mjs').fanoutScenario>> | null,
 *   sessions: Awaited<ReturnType<typeof import('./sessions.mjs').sessionsScenario>> | null,
 *   sessionsConcurrency: number,
 *   soaks: readonly (readonly [string, Awaited<ReturnType<typeof import('./sessions.mjs').soakScenario>> | null])[],
 *   cold: ReturnType<typeof import('./cold.mjs').coldScenario>,
 *   rssAtStart: Record<string, number>,
 *   rssAtEnd: Record<string, number>,
 * }} r
 */
export function summaryTable(r) {
	const { lane, fanout, sessions, soaks, cold, rssAtStart, rssAtEnd } = r
	const rows = /** @type {string[][]} */ ([])
	const signed = (/** @type {number} */ x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`
	if (lane) {
		rows.push([
			'one-lane',
			`${lane.count} messages to one session, ${lane.concurrency} submitting`,
			`${lane.messagesPerSecond.toFixed(0)} msg/s; errors ${lane.errors}, lost ${lane.lost}, out of order ${lane.mismatched}; ` +
				`floor ${lane.floor.appendsPerSecond.toFixed(0)} appends/s (${lane.floor.before.toFixed(0)} before, ${lane.floor.after.toFixed(0)} after; ${lane.count} from ${lane.concurrency} submitters), lane / floor ${lane.floorRatio.toFixed(2)}`,
		])
	}
	if (fanout) {
		rows.push([
			'fanout',
			`${fanout.many.subscribers} WebSocket subscribers × ${fanout.many.turns} turns`,
			`final delivered p50 ${fanout.many.p50.toFixed(1)} ms, p99 ${fanout.many.p99.toFixed(1)} ms, max ${fanout.many.max.toFixed(1)} ms; ` +
				`1 subscriber p50 ${fanout.one.p50.toFixed(1)} / p99 ${fanout.one.p99.toFixed(1)} ms (p50 ${fanout.p50Ratio.toFixed(2)} ×, p99 ${fanout.p99Ratio.toFixed(2)} ×); missed ${fanout.many.missed + fanout.one.missed}`,
		])
	}
	if (sessions) {
		rows.push([
			'sessions',
			`${sessions.sessions} × ${sessions.messages} submitted at once, ${r.sessionsConcurrency} in flight`,
			`${sessions.turnsPerSecond.toFixed(0)} turns/s (all answered ${sessions.totalSeconds.toFixed(1)} s); errors ${sessions.errors}, lost ${sessions.lost}, duplicated ${sessions.duplicated}, out of order ${sessions.outOfOrder}`,
		])
	}
	for (const [name, s] of soaks) {
		if (!s) continue
		rows.push([
			name,
			`${s.turns} turns in ${s.sessions} warm sessions (${s.warm} turns each first), ${s.concurrency} in flight, waiting; then ${s.newSessions} new sessions; then ${s.heapTurns} turns between heap readings`,
			`${s.turnsPerSecond.toFixed(0)} turns/s; RSS ${s.rssBefore.toFixed(0)} → ${s.rssAfter.toFixed(0)} MiB (${signed(s.rssPer1000)} MiB / 1,000 turns); ` +
				`a new session ${signed(s.rssKiBPerNewSession / 1024)} MiB RSS; live heap ${s.heapBefore.toFixed(1)} → ${s.heapAfter.toFixed(1)} MiB (${signed(s.heapPer1000)} MiB / 1,000 turns); errors ${s.errors}, lost ${s.lost}, out of order ${s.outOfOrder}`,
		])
	}
	for (const c of cold) {
		rows.push([
			`cold.${c.name}`,
			'`wrangler check startup`',
			`bundle ${c.bundleKiB.toFixed(0)} KiB, gzip ${c.gzipKiB.toFixed(0)} KiB; startup ${c.startupMs.toFixed(1)} ms CPU (median of ${c.runs}; ${c.samples} profile samples)`,
		])
	}
	rows.push([
		'memory',
		'workerd RSS at start → end',
		Object.entries(rssAtStart)
			.map(
				([k, v]) =>
					`${k} ${v.toFixed(0)} → ${(rssAtEnd[/** @type {keyof typeof rssAtEnd} */ (k)] ?? 0).toFixed(0)} MiB`,
			)
			.join(', '),
	])
	return grid(['scenario', 'shape', 'result'], rows)
}
