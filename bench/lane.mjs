// The `one-lane` scenario: messages per second through a single session lane. `count` messages
// are submitted (202, not waiting) by `concurrency` clients to one session; the clock stops when
// no run is queued or running any more (the session's summary, polled), and the transcript, read
// then, must hold an answer to every one. The lane runs one turn at a time, so this is the
// lane's serial throughput: submit, queue, turn, events, transcript, next. Its baseline, in the
// same run: the floor's bare Durable Object taking `count` appends from as many submitters, once
// before and once after the lane (their mean), so drift on a busy machine hits both sides.
import { performance } from 'node:perf_hooks'
import { edgeclawClient } from './client.mjs'
import { pool } from './lib.mjs'

/**
 * Appends per second into one floor object (`POST /append/{name}`, one SQLite insert per RPC).
 * @param {{ floor: string, name: string, count: number, concurrency: number }} o
 */
async function floorAppends(o) {
	const path = `${o.floor}/append/${o.name}`
	await (await fetch(path, { method: 'POST', body: 'warm' })).arrayBuffer()
	let errors = 0
	const t0 = performance.now()
	await pool(o.count, o.concurrency, async (i) => {
		const res = await fetch(path, { method: 'POST', body: `lane ${i}` })
		await res.arrayBuffer()
		if (res.status !== 200) errors++
	})
	const seconds = (performance.now() - t0) / 1000
	return { errors, appendsPerSecond: (o.count - errors) / seconds }
}

/**
 * @param {{ url: string, floor: string, headers: Record<string, string>, session: string, count: number, concurrency: number }} o
 */
export async function oneLaneScenario(o) {
	const floorShape = { floor: o.floor, count: o.count, concurrency: o.concurrency }
	const before = await floorAppends({ ...floorShape, name: `${o.session}-before` })
	const lane = await laneRun(o)
	const after = await floorAppends({ ...floorShape, name: `${o.session}-after` })
	const appendsPerSecond = (before.appendsPerSecond + after.appendsPerSecond) / 2
	return {
		...lane,
		floor: {
			appendsPerSecond,
			before: before.appendsPerSecond,
			after: after.appendsPerSecond,
			errors: before.errors + after.errors,
		},
		floorRatio: lane.messagesPerSecond / appendsPerSecond,
	}
}

/**
 * @param {{ url: string, headers: Record<string, string>, session: string, count: number, concurrency: number }} o
 */
export async function laneRun(o) {
	const json = { ...o.headers, 'content-type': 'application/json' }
	const path = `${o.url}/v1/sessions/${o.session}/messages`
	const client = edgeclawClient(o.url, o.headers)
	await (
		await fetch(path, { method: 'POST', headers: json, body: '{"content":"warm","wait":true}' })
	).arrayBuffer()
	let errors = 0
	const t0 = performance.now()
	await pool(o.count, o.concurrency, async (i) => {
		const res = await fetch(path, {
			method: 'POST',
			headers: json,
			body: JSON.stringify({ content: `lane ${i}` }),
		})
		await res.arrayBuffer()
		if (res.status !== 202) errors++
	})
	const submitted = performance.now()
	const deadline = Date.now() + 120_000
	// Every message is in (202): the lane is done when no run is queued or running. The session's
	// summary is one small read, so watching costs the lane little; the transcript is read once.
	for (;;) {
		const res = await fetch(`${o.url}/v1/sessions/${o.session}`, { headers: o.headers })
		const info = /** @type {{ runs: { queued: number, running: number } }} */ (await res.json())
		if ((info.runs.queued === 0 && info.runs.running === 0) || Date.now() > deadline) break
		await new Promise((r) => setTimeout(r, 25))
	}
	const seconds = (performance.now() - t0) / 1000
	// The measured messages: after the warm-up turn's two.
	const texts = await client.transcript(o.session, 2)
	const answered = texts.filter((m) => m.role === 'assistant').length
	let mismatched = 0
	// One turn at a time: every answer directly follows its question.
	for (let i = 0; i + 1 < texts.length; i += 2)
		if (texts[i + 1]?.text !== `echo: ${texts[i]?.text}`) mismatched++
	return {
		count: o.count,
		concurrency: o.concurrency,
		errors,
		lost: o.count - answered,
		mismatched,
		submitSeconds: (submitted - t0) / 1000,
		seconds,
		messagesPerSecond: answered / seconds,
	}
}
