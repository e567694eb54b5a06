// The `channels` scenario: what a chat platform's webhook costs against the native API, with a
// Telegram channel answering through a fake Bot API on loopback (bench/fake-telegram.mjs).
//   channel.ack   `POST /hooks/default/<channel>`, a fresh signed update, until its 200 (secret
//                 check, parse, admission, durable accept in the lane) — against submit.key, a
//                 native `POST /v1/sessions/<key>/messages` without wait (202 after the same accept)
//   channel.reply from sending the webhook to the fake receiving the answer's `sendMessage` (turn,
//                 outbox, Bot API call) — against turn.key, a native turn with `wait: true`
// The four alternate request by request (drift hits them alike), one request in flight, and each
// waits for what its request set going — the run, the delivery — before the next is sent: on one
// local workerd thread that work would land inside the next sample; on Cloudflare the lanes run
// elsewhere. Both sides use a stored tenant credential, cached per isolate: the webhook its secret,
// the native side an API key. Chats and sessions rotate over `chats` warm lanes each. `lost`
// counts runs never finished and answers that never reached the fake Bot API.
import { performance } from 'node:perf_hooks'
import { startFakeTelegram, telegramUpdate } from './fake-telegram.mjs'
import { latencyResult, pool } from './lib.mjs'

const CHANNEL = 'bench-tg'
const BOT_TOKEN = '777000:bench-bot-token'
const WEBHOOK_SECRET = 'bench_hook-secret_0123456789'
/** Chat ids of the channel's sessions: `bench-tg:dm:<FIRST_CHAT + n>`. */
const FIRST_CHAT = 10_000

/** The four timings, each with the one its ratio is taken against. */
const SCENARIOS = [
	{ name: 'submit.key' },
	{ name: 'channel.ack', baseline: 'submit.key' },
	{ name: 'turn.key' },
	{ name: 'channel.reply', baseline: 'turn.key' },
]

/**
 * @typedef {import('./lib.mjs').Result} Result
 * @typedef {{ chats: number, count: number, results: Result[], lost: number, ack: { p50: number, p99: number }, reply: { p50: number, p99: number } }} ChannelsResult
 */

/**
 * @param {{ url: string, auth: Record<string, string>, keyAuth: Record<string, string>, chats: number, count: number }} o
 *   `auth` sets the channel up (admin token); `keyAuth` is the native side's credential (an API key)
 * @returns {Promise<ChannelsResult>}
 */
export async function channelsScenario(o) {
	const telegram = await startFakeTelegram()
	try {
		await setUp(o, telegram.baseURL)
		return await measureChannels(o, telegram)
	} finally {
		await telegram.stop()
	}
}

/** @param {{ url: string, auth: Record<string, string> }} o @param {string} apiBase */
async function setUp(o, apiBase) {
	const headers = { ...o.auth, 'content-type': 'application/json' }
	for (const [name, value] of [
		['BENCH_TG_TOKEN', BOT_TOKEN],
		['BENCH_TG_SECRET', WEBHOOK_SECRET],
	]) {
		const res = await fetch(`${o.url}/v1/secrets/${name}`, {
			method: 'PUT',
			headers,
			body: JSON.stringify({ value }),
		})
		if (!res.ok) throw new Error(`PUT /v1/secrets/${name}: ${res.status} ${await res.text()}`)
	}
	const res = await fetch(`${o.url}/v1/channels`, {
		method: 'POST',
		headers,
		body: JSON.stringify({
			id: CHANNEL,
			kind: 'telegram',
			agent: 'main',
			config: {
				secrets: { botToken: 'BENCH_TG_TOKEN', webhookSecret: 'BENCH_TG_SECRET' },
				apiBase,
				dmPolicy: 'open',
			},
		}),
	})
	if (res.status !== 201) throw new Error(`POST /v1/channels: ${res.status} ${await res.text()}`)
}

/**
 * @param {{ url: string, keyAuth: Record<string, string>, chats: number, count: number }} o
 * @param {import('./fake-telegram.mjs').FakeTelegram} telegram
 * @returns {Promise<ChannelsResult>}
 */
async function measureChannels(o, telegram) {
	const native = { ...o.keyAuth, 'content-type': 'application/json' }
	const nativeSession = (/** @type {number} */ i) => `chan-native-${i % o.chats}`
	const chatOf = (/** @type {number} */ i) => FIRST_CHAT + (i % o.chats)
	let updateId = 1
	/** The webhook of one message to chat `i % chats`; a new update_id each time. */
	const hook = (/** @type {number} */ i, /** @type {string} */ text) =>
		fetch(`${o.url}/hooks/default/${CHANNEL}`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'x-telegram-bot-api-secret-token': WEBHOOK_SECRET,
			},
			body: JSON.stringify(telegramUpdate(updateId++, chatOf(i), text)),
		})
	const submit = (/** @type {number} */ i, /** @type {string} */ content, wait = false) =>
		fetch(`${o.url}/v1/sessions/${nativeSession(i)}/messages`, {
			method: 'POST',
			headers: native,
			body: JSON.stringify({ content, wait }),
		})
	const replied = (/** @type {number} */ i, /** @type {string} */ text) =>
		telegram.waitFor(
			(c) => c.method === 'sendMessage' && c.body.chat_id === chatOf(i) && c.body.text === text,
		)
	/** Until a native run is over (polled: nothing else says so without holding a request). */
	const finished = async (/** @type {number} */ i, /** @type {string} */ runId) => {
		const deadline = Date.now() + 30_000
		while (Date.now() < deadline) {
			const res = await fetch(`${o.url}/v1/sessions/${nativeSession(i)}/runs/${runId}`, {
				headers: native,
			})
			const run = /** @type {{ status?: string }} */ (await res.json())
			if (run.status && !['queued', 'running'].includes(run.status)) return true
			await new Promise((r) => setTimeout(r, 2))
		}
		return false
	}

	// Every lane of both sides exists and has answered once before anything is timed.
	await pool(o.chats, 8, async (i) => {
		const [res, turn] = await Promise.all([hook(i, `warm ${i}`), submit(i, `warm ${i}`, true)])
		await Promise.all([res.arrayBuffer(), turn.arrayBuffer()])
		if (res.status !== 200 || turn.status !== 200)
			throw new Error(`channels warm-up: webhook ${res.status}, native turn ${turn.status}`)
		await replied(i, `echo: warm ${i}`)
	})

	const acc = new Map(
		SCENARIOS.map((s) => [s.name, { samples: /** @type {number[]} */ ([]), errors: 0 }]),
	)
	const record = (/** @type {string} */ name, /** @type {number | null} */ ms) => {
		const a = acc.get(name)
		if (!a) throw new Error(`channels: no scenario ${name}`)
		if (ms === null) a.errors++
		else a.samples.push(ms)
	}
	let lost = 0
	for (let n = 0; n < o.count; n++) {
		// submit.key: the 202, then (untimed) the run it queued, so it cannot land in a later sample.
		let t0 = performance.now()
		const accepted = await submit(n, `submit ${n}`).catch(() => null)
		const submitted = /** @type {{ runId?: string }} */ (await accepted?.json().catch(() => ({})))
		record('submit.key', accepted?.status === 202 ? performance.now() - t0 : null)
		if (submitted?.runId && !(await finished(n, submitted.runId))) lost++

		// channel.ack to the 200; channel.reply on to the answer's sendMessage at the fake.
		t0 = performance.now()
		const acked = await hook(n, `hook ${n}`).catch(() => null)
		const ok = acked?.status === 200 && (await acked.text()) === '{}'
		record('channel.ack', ok ? performance.now() - t0 : null)
		const call = ok ? await replied(n, `echo: hook ${n}`).catch(() => null) : null
		record('channel.reply', call ? call.at - t0 : null)
		if (ok && !call) lost++

		t0 = performance.now()
		const turn = await submit(n, `turn ${n}`, true).catch(() => null)
		const run = /** @type {{ output?: string }} */ (await turn?.json().catch(() => ({})))
		record(
			'turn.key',
			turn?.status === 200 && run?.output === `echo: turn ${n}` ? performance.now() - t0 : null,
		)
	}
	const results = SCENARIOS.map((s) =>
		latencyResult(s, acc.get(s.name)?.samples ?? [], acc.get(s.name)?.errors ?? 0),
	)
	const [submitted, ack, turn, reply] = results
	return {
		chats: o.chats,
		count: o.count,
		results,
		lost,
		ack: ratios(ack, submitted),
		reply: ratios(reply, turn),
	}
}

/** @param {Result | undefined} a @param {Result | undefined} b */
const ratios = (a, b) => ({
	p50: (a?.p50 ?? Number.NaN) / (b?.p50 ?? Number.NaN),
	p99: (a?.p99 ?? Number.NaN) / (b?.p99 ?? Number.NaN),
})
