#!/usr/bin/env node
// `npm run bench`: every performance figure from one command. Starts the product, the bench-only
// floor Worker (bench/floor/), the Agents SDK peer (bench/peer/) and an instant OpenAI-compatible
// model server on loopback; measures cold start, the latency matrix, the client protocols,
// throughput at equal concurrency, a soak of each (before the phases that open 1,000 more
// sessions), one lane, fan-out, sessions and a Telegram channel against the native API (its
// webhook's ack, its answer's delivery to a fake Bot API) and the web app (its payload, and the
// first token in Chromium against a raw WebSocket client) and what telemetry costs a turn (two
// more instances, metrics on and off); prints the tables and the budgets
// (bench/budgets.json); writes bench/results/latest.json and latest.txt. Not in `npm test`.
//   --check        exit 1 when a budget is missed
//   --quick        fewer samples (a smoke run)
//   --only=a,b     only these latency scenarios (and their baselines); skips the other phases
//   --rounds=N     interleaved rounds per latency scenario (the channels phase: N × per round)
//   --only-phase=a,b  only these phases: cold, matrix, profile, stream, openai, throughput, soak,
//                  lane, fanout, sessions, channels, web, telemetry, subagents, schedules, capacity
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { check, figures, readBudgets, verdictTable } from './budgets.mjs'
import { capacityScenario, capacityTable } from './capacity.mjs'
import { channelsScenario } from './channels.mjs'
import { edgeclawClient } from './client.mjs'
import { coldScenario } from './cold.mjs'
import { startFakeOpenAI } from './fake-openai.mjs'
import { fanoutScenario } from './fanout.mjs'
import { liveHeapMiB } from './heap.mjs'
import { oneLaneScenario } from './lane.mjs'
import { closedLoop, grid, measure, startProduct, startWorker, table } from './lib.mjs'
import { latencyScenarios } from './matrix.mjs'
import { openaiScenario } from './openai.mjs'
import { peerClient, startPeer } from './peer.mjs'
import { profilePhase, profileReport } from './profile.mjs'
import { protocolsScenario, protocolsTable } from './protocols.mjs'
import { schedulesScenario, schedulesTable } from './schedules.mjs'
import { sessionsScenario, soakScenario } from './sessions.mjs'
import { SUBAGENT_AGENT, subagentsScenario } from './subagents.mjs'
import { summaryTable } from './summary.mjs'
import { telemetryReport, telemetryScenario } from './telemetry.mjs'
import { buildWeb, webFailures, webPhase, webReport } from './web.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
/** The values of `--name=a,b`, or undefined without the flag. @param {string} name */
const listFlag = (name) =>
	argv
		.find((a) => a.startsWith(`--${name}=`))
		?.slice(name.length + 3)
		.split(',')
const only = listFlag('only')
const rounds = Number(argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 0)
const PHASES =
	'cold matrix profile stream openai throughput soak lane fanout sessions channels web telemetry subagents schedules capacity'.split(
		' ',
	)
const onlyPhases = listFlag('only-phase')
for (const p of onlyPhases ?? [])
	if (!PHASES.includes(p)) throw new Error(`--only-phase: no phase "${p}" (${PHASES.join(', ')})`)
/** Whether a phase runs: every one by default; `--only` keeps the matrix alone. */
const wants = (/** @type {string} */ name) =>
	onlyPhases ? onlyPhases.includes(name) : !only || name === 'matrix'
// Sized to finish in under 10 minutes on 2 cores; --quick is a smoke run of every phase.
const plan = quick
	? { rounds: rounds || 2, perRound: 20, warmup: 5 }
	: { rounds: rounds || 5, perRound: 80, warmup: 20 }
const sizes = quick
	? {
			load: { concurrency: 8, count: 100, timeMs: 5_000 },
			sessions: { sessions: 100, messages: 5, concurrency: 32 },
			soak: {
				sessions: 10,
				warm: 10,
				messages: 20,
				newSessions: 40,
				heapMessages: 5,
				concurrency: 10,
			},
			fanout: { subscribers: 100, turns: 5 },
			lane: { count: 50, concurrency: 8 },
			protocols: { perRound: 3 },
			openai: { concurrency: 20, count: 100, timeMs: 5_000 },
			channels: { chats: 16 },
			telemetry: { rounds: 40, perRound: 1, warmup: 5 },
			subagents: { samples: 10, warmup: 2 },
			schedules: { count: 100, leadS: 20 },
			profile: { turns: 10, cpuTurns: 30 },
			capacity: { tenants: 6, sessions: 4, rates: [10, 20, 40, 80], stepMs: 3_000 },
			coldRuns: 1,
		}
	: {
			load: { concurrency: 16, count: 1_200, timeMs: 15_000 },
			sessions: { sessions: 1_000, messages: 5, concurrency: 64 },
			// 20 warm sessions (50 turns each first), then 2,000 measured turns in them; 200 new
			// sessions; 500 turns between two heap readings.
			soak: {
				sessions: 20,
				warm: 50,
				messages: 100,
				newSessions: 200,
				heapMessages: 25,
				concurrency: 20,
			},
			fanout: { subscribers: 100, turns: 30 },
			lane: { count: 300, concurrency: 8 },
			protocols: { perRound: 15 },
			// 20 users at once through /v1/chat/completions, and 20 native turns at once.
			openai: { concurrency: 20, count: 1_200, timeMs: 15_000 },
			channels: { chats: 64 },
			// A 3 % budget needs many samples, alternating request by request so that drift on a
			// busy machine hits both instances alike: 2,000 turns each.
			telemetry: { rounds: 2_000, perRound: 1, warmup: 50 },
			subagents: { samples: 100, warmup: 10 },
			schedules: { count: 1_000, leadS: 90 },
			profile: { turns: 40, cpuTurns: 200 },
			capacity: {
				tenants: 20,
				sessions: 10,
				rates: [10, 20, 30, 40, 60, 80, 120, 160, 240, 320],
				stepMs: 8_000,
			},
			coldRuns: 3,
		}
const state = mkdtempSync(join(tmpdir(), 'edgeclaw-bench-'))
const token = randomBytes(24).toString('base64url')
const started = performance.now()
/** @type {string[]} */
const report = []
const say = (/** @type {string} */ text = '') => {
	report.push(text)
	console.log(text)
}
const phase = (/** @type {string} */ name) =>
	console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${name}`)

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
	buildWeb(root) // always: wrangler serves dist/web, and a stale build would be measured
	// Cold first, while nothing else runs: bundle size and startup of the product and a bare Worker.
	if (wants('cold')) phase('cold: bundle and startup')
	const cold = wants('cold') ? coldScenario({ cwd: root, state, runs: sizes.coldRuns }) : []

	phase('starting the product, the floor, the peer and the model server')
	const model = await startFakeOpenAI()
	running.push({
		url: model.baseURL,
		stop: model.stop,
		output: () => '',
		rss: () => 0,
		inspector: 0,
	})
	const [product, floor, peer] = await Promise.all([
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
		startPeer({ cwd: root, state: join(state, 'peer'), openaiBaseURL: model.baseURL }),
	])
	running.push(product, floor, peer)
	const rssAtStart = { edgeclaw: product.rss(), floor: floor.rss(), peer: peer.rss() }

	const auth = { authorization: `Bearer ${token}` }
	/** @param {string} path @param {unknown} body */
	const create = async (path, body) => {
		const res = await fetch(`${product.url}${path}`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify(body),
		})
		if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`)
		return /** @type {any} */ (await res.json())
	}
	// An API key of the default tenant: what programs use (lookup, hash check, rate limits, policy).
	const key = await create('/v1/keys', { name: 'bench', role: 'admin' })
	const keyAuth = { authorization: `Bearer ${key.secret}` }
	// An agent with the coding tools on the offline model, which reads `/tool <name> <json>` as a
	// tool call and then answers with a one-line summary of the result.
	await create('/v1/agents', {
		id: 'bench-coder',
		name: 'bench coder',
		config: { model: { primary: 'offline:echo' }, tools: { profile: 'coding' } },
	})
	// An agent that delegates (sessions_spawn) to itself, on the offline model.
	await create('/v1/agents', {
		id: SUBAGENT_AGENT,
		name: 'bench boss',
		config: {
			model: { primary: 'offline:echo' },
			tools: { allow: ['group:sessions'] },
			subagents: { maxChildren: 20 },
		},
	})
	// An agent whose model is the instant OpenAI-compatible server: provider I/O is real HTTP.
	await create('/v1/agents', {
		id: 'bench-openai',
		name: 'bench openai',
		config: {
			model: { primary: 'instant:bench-instant' },
			providers: { instant: { kind: 'openai-compatible', baseURL: model.baseURL } },
		},
	})

	const all = latencyScenarios({
		product: product.url,
		floor: floor.url,
		peer: peer.url,
		auth,
		keyAuth,
		modelBase: model.baseURL,
	})
	/** Keep a scenario's baseline (and the baseline's own) whenever it is selected. */
	/** @type {(name: string) => string[]} */
	const withBaselines = (name) => {
		const s = all.find((x) => x.name === name)
		if (!s) throw new Error(`--only: no scenario "${name}"`)
		return s.baseline ? [name, ...withBaselines(s.baseline)] : [name]
	}
	const wanted = new Set(only?.flatMap(withBaselines))
	if (wants('matrix')) phase('latency matrix')
	const selected = only ? all.filter((s) => wanted.has(s.name)) : wants('matrix') ? all : []
	const results = []
	for (const group of [1, 2]) {
		const these = selected.filter((s) => (s.group ?? 1) === group)
		if (these.length > 0) results.push(...(await measure(these, plan)))
	}

	/** @type {Awaited<ReturnType<typeof profilePhase>> | null} */
	let profile = null
	if (wants('profile')) {
		phase('profile: what one turn costs (counts from local traces, CPU from the inspector)')
		profile = await profilePhase({ cwd: root, state, token, product, ...sizes.profile })
	}

	/** @typedef {import('./lib.mjs').LoadResult} LoadResult */
	/** @type {Awaited<ReturnType<typeof protocolsScenario>>} */
	let protocols = []
	/** @type {LoadResult[]} */
	const throughput = []
	/** @type {Awaited<ReturnType<typeof oneLaneScenario>> | null} */
	let lane = null
	/** @type {Awaited<ReturnType<typeof fanoutScenario>> | null} */
	let fanout = null
	/** @type {Awaited<ReturnType<typeof sessionsScenario>> | null} */
	let sessions = null
	/** @type {Awaited<ReturnType<typeof soakScenario>> | null} */
	let soak = null
	/** @type {import('./lib.mjs').Result[]} */
	let subagents = []
	/** @type {Awaited<ReturnType<typeof soakScenario>> | null} */
	let peerSoak = null
	/** @type {Awaited<ReturnType<typeof channelsScenario>> | null} */
	let channels = null
	if (wants('stream')) {
		phase('stream: one turn per client protocol')
		protocols = await protocolsScenario({
			url: product.url,
			token,
			rounds: plan.rounds,
			perRound: sizes.protocols.perRound,
			warmup: 3,
		})
	}
	/** @type {Awaited<ReturnType<typeof openaiScenario>> | null} */
	let openai = null
	if (wants('openai')) {
		phase('openai: a throwaway session against a named user; 20 users at once against native turns')
		openai = await openaiScenario({ url: product.url, auth, plan, load: sizes.openai })
		results.push(...openai.latency)
		throughput.push(...openai.throughput)
	}
	if (wants('channels')) {
		phase('channels: Telegram webhook against the native API')
		channels = await channelsScenario({
			url: product.url,
			auth,
			keyAuth,
			count: plan.rounds * plan.perRound,
			...sizes.channels,
		})
	}
	if (wants('telemetry')) phase('telemetry: a turn with metrics on and off (two more instances)')
	const telemetry = wants('telemetry')
		? await telemetryScenario({ cwd: root, state, token, plan: sizes.telemetry })
		: null
	if (wants('web')) phase('web: the UI payload, the first token in Chromium against a raw client')
	const web = wants('web')
		? await webPhase({ root, url: product.url, key: key.secret, quick })
		: null
	if (wants('throughput')) {
		phase('throughput at equal concurrency')
		const byName = new Map(all.map((s) => [s.name, s]))
		for (const name of ['floor.append', 'turn', 'peer.turn']) {
			const s = byName.get(name)
			if (s) throughput.push(await closedLoop(s, sizes.load))
		}
	}
	if (wants('soak')) {
		phase('soak: edgeclaw')
		soak = await soakScenario(edgeclawClient(product.url, auth), {
			prefix: 'soak',
			...sizes.soak,
			rss: product.rss,
			heap: () => liveHeapMiB(product.inspector),
		})
		phase('soak: peer')
		peerSoak = await soakScenario(peerClient(peer.url), {
			prefix: 'soak',
			...sizes.soak,
			rss: peer.rss,
			heap: () => liveHeapMiB(peer.inspector),
		})
	}
	if (wants('lane')) {
		phase('one lane')
		lane = await oneLaneScenario({
			url: product.url,
			floor: floor.url,
			headers: auth,
			session: 'one-lane',
			...sizes.lane,
		})
	}
	if (wants('fanout')) {
		phase('fanout')
		fanout = await fanoutScenario({ url: product.url, token, ...sizes.fanout })
	}
	if (wants('sessions')) {
		phase('sessions')
		sessions = await sessionsScenario({
			url: product.url,
			headers: auth,
			prefix: 'load',
			...sizes.sessions,
		})
	}
	if (wants('subagents')) {
		phase('subagents')
		subagents = await subagentsScenario({ url: product.url, headers: auth, ...sizes.subagents })
	}
	/** @type {Awaited<ReturnType<typeof schedulesScenario>> | null} */
	let schedules = null
	if (wants('schedules')) {
		phase(
			`schedules: ${sizes.schedules.count} bare alarms, then ${sizes.schedules.count} schedules, due together`,
		)
		schedules = await schedulesScenario({
			url: product.url,
			headers: auth,
			floor: floor.url,
			...sizes.schedules,
			log: (text) => console.error(`  ${text}`),
		})
	}
	/** @type {Awaited<ReturnType<typeof capacityScenario>> | null} */
	let capacity = null
	if (wants('capacity')) {
		const c = sizes.capacity
		phase(
			`capacity: ${c.tenants} tenants × ${c.sessions} sessions, open loop at ${c.rates.join(', ')}/s`,
		)
		capacity = await capacityScenario({
			url: product.url,
			token,
			...c,
			log: (text) => console.error(`  ${text}`),
		})
	}
	const rssAtEnd = { edgeclaw: product.rss(), floor: floor.rss(), peer: peer.rss() }

	const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
	const minutes = (performance.now() - started) / 60_000
	say(`edgeclaw bench — ${new Date().toISOString()} — ${machine}`)
	if (results.length > 0) {
		say(
			`latency: one request in flight, ${plan.rounds} interleaved rounds × ${plan.perRound} per scenario (ms)\n`,
		)
		say(table(results))
	}
	if (channels) {
		say(
			`\nchannels: a Telegram webhook against the native API, one request in flight, alternating, ${channels.count} each over ${channels.chats} chats and sessions (ms; channel.reply = webhook sent → sendMessage received)\n`,
		)
		say(table(channels.results))
	}
	if (subagents.length > 0) {
		say(
			`\nsubagents: spawn to announce vs one plain turn, offline model, one request in flight, ${sizes.subagents.samples} each (ms)\n`,
		)
		say(table(subagents))
	}
	if (schedules) {
		say(
			`\nschedules: ${sizes.schedules.count} due in the same second, lateness = fire − due (ms); alarm.bare = a bare Durable Object alarm, same run\n`,
		)
		say(schedulesTable(schedules))
	}
	if (profile) say(profileReport(profile))
	if (capacity) {
		say(
			`\ncapacity: ${capacity.tenants} tenants × ${capacity.sessions} sessions, native turns in an open loop, ${capacity.stepMs / 1000} s per rate; probes one at a time per kind (ms; +ms = the probe's p50 over the Worker probe's; gate +ms = capped tenants' turn p50 over uncapped)\n`,
		)
		say(capacityTable(capacity))
	}
	if (web) say(webReport(web))
	if (telemetry) say(telemetryReport(telemetry, sizes.telemetry))
	if (protocols.length > 0) {
		say(
			'\nstream: one turn per client protocol (ms; ttft = first token; ×http = full p50 / http.wait)\n',
		)
		say(protocolsTable(protocols))
	}
	if (throughput.length > 0) {
		/** `a / b` to two places; a dash when the baseline did not run. @param {number} a @param {number} b */
		const times = (a, b) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : '—')
		say('\nthroughput: closed loops, a fixed number of requests in flight\n')
		const floorRps = throughput.find((t) => t.name === 'floor.append')?.rps ?? Number.NaN
		const turnRps = throughput.find((t) => t.name === 'turn')?.rps ?? Number.NaN
		say(
			grid(
				['scenario', 'in flight', 'n', 'err', 'req/s', 'p50 ms', 'p99 ms', '× floor', '× turn'],
				throughput.map((t) => [
					t.name,
					String(t.concurrency),
					String(t.n),
					String(t.errors),
					t.rps.toFixed(0),
					t.p50.toFixed(2),
					t.p99.toFixed(2),
					times(t.rps, floorRps),
					times(t.rps, turnRps),
				]),
			),
		)
	}
	const soaks = /** @type {const} */ ([
		['soak', soak],
		['peer.soak', peerSoak],
	])
	say('\n')
	say(
		summaryTable({
			lane,
			fanout,
			sessions,
			sessionsConcurrency: sizes.sessions.concurrency,
			soaks,
			cold,
			rssAtStart,
			rssAtEnd,
		}),
	)

	const verdicts = check(
		readBudgets(join(root, 'bench/budgets.json')),
		figures({
			results,
			throughput,
			protocols,
			lane,
			fanout,
			sessions,
			soak,
			peerSoak,
			cold,
			channels,
			web,
			telemetry,
			subagents,
			schedules,
		}),
	)
	say('\nbudgets (bench/budgets.json)\n')
	say(verdictTable(verdicts))
	say(`\n${minutes.toFixed(1)} min`)

	writeFileSync(
		join(root, 'bench/results/latest.json'),
		`${JSON.stringify(
			{
				date: new Date().toISOString(),
				machine,
				minutes,
				plan,
				sizes,
				results,
				protocols,
				throughput,
				lane,
				fanout,
				sessions,
				soak,
				peerSoak,
				channels,
				web,
				telemetry,
				subagents,
				schedules,
				profile,
				capacity,
				cold,
				rss: { start: rssAtStart, end: rssAtEnd },
				budgets: verdicts,
			},
			null,
			2,
		)}\n`,
	)
	writeFileSync(join(root, 'bench/results/latest.txt'), `${report.join('\n')}\n`)

	const failed = results.filter((r) => r.errors > 0).map((r) => r.name)
	for (const p of protocols) if (p.errors > 0) failed.push(`protocol ${p.name}`)
	for (const t of throughput) if (t.errors > 0) failed.push(`throughput ${t.name}`)
	if (lane && lane.errors + lane.lost + lane.mismatched + lane.floor.errors > 0)
		failed.push('one-lane')
	if (fanout && fanout.many.missed + fanout.one.missed > 0) failed.push('fanout')
	if (sessions && sessions.errors + sessions.lost + sessions.duplicated + sessions.outOfOrder > 0)
		failed.push('sessions')
	for (const [name, s] of soaks) if (s && s.errors + s.lost + s.outOfOrder > 0) failed.push(name)
	if (channels && channels.lost + channels.results.reduce((e, r) => e + r.errors, 0) > 0)
		failed.push('channels')
	for (const r of subagents) if (r.errors > 0) failed.push(r.name)
	if (
		schedules &&
		(schedules.schedules.fired < schedules.schedules.count ||
			schedules.alarms.fired < schedules.alarms.count)
	)
		failed.push('schedules')
	if (web) failed.push(...webFailures(web))
	if (capacity?.steps.some((s) => s.errors > s.sent / 100)) failed.push('capacity')
	if (failed.length > 0) {
		console.error(`\nerrors in: ${failed.join(', ')}`)
		process.exitCode = 1
	}
	const missed = verdicts.filter((v) => !v.ok)
	if (argv.includes('--check') && missed.length > 0) {
		console.error(`\nmissed budgets: ${missed.map((v) => v.figure).join(', ')}`)
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
