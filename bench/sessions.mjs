// The `sessions` scenario: N sessions × M messages in flight at once. Messages of one session are
// submitted in order; sessions run concurrently. Afterwards every transcript is read back to count
// lost, duplicated and out-of-order messages (all must be 0).
import { performance } from 'node:perf_hooks'
import { edgeclawClient } from './client.mjs'
import { pool } from './lib.mjs'

/**
 * @param {{ url: string, headers: Record<string, string>, sessions: number, messages: number, concurrency: number, prefix: string }} o
 */
export async function sessionsScenario(o) {
	const json = { ...o.headers, 'content-type': 'application/json' }
	const client = edgeclawClient(o.url, o.headers)
	let errors = 0
	const t0 = performance.now()
	// Submit: each session sends its messages in order (each waits for its 202 only).
	await pool(o.sessions, o.concurrency, async (s) => {
		for (let m = 0; m < o.messages; m++) {
			const res = await fetch(`${o.url}/v1/sessions/${o.prefix}-${s}/messages`, {
				method: 'POST',
				headers: json,
				body: JSON.stringify({ content: `s${s}-m${m}` }),
			})
			await res.arrayBuffer()
			if (res.status !== 202) errors++
		}
	})
	const submitted = performance.now()
	// Drain and verify: poll each session until all its turns are answered, then check order.
	let lost = 0
	let duplicated = 0
	let outOfOrder = 0
	await pool(o.sessions, o.concurrency, async (s) => {
		const deadline = Date.now() + 120_000
		for (;;) {
			const messages = await client.transcript(`${o.prefix}-${s}`)
			const texts = messages.map((m) => m.text)
			const users = messages.filter((m) => m.role === 'user').map((m) => m.text)
			const replies = messages.filter((m) => m.role === 'assistant').length
			if (replies >= o.messages || Date.now() > deadline) {
				const expected = Array.from({ length: o.messages }, (_, m) => `s${s}-m${m}`)
				lost += expected.filter((e) => !users.includes(e)).length
				duplicated += users.length - new Set(users).size
				const seen = users.filter((u) => expected.includes(u))
				outOfOrder += seen.some((u, i) => u !== expected[i]) ? 1 : 0
				for (let i = 0; i + 1 < texts.length; i += 2)
					if (texts[i + 1] !== `echo: ${texts[i]}`) outOfOrder++
				return
			}
			await new Promise((r) => setTimeout(r, 50))
		}
	})
	const drained = performance.now()
	const total = o.sessions * o.messages
	return {
		sessions: o.sessions,
		messages: o.messages,
		total,
		errors,
		lost,
		duplicated,
		outOfOrder,
		submitSeconds: (submitted - t0) / 1000,
		totalSeconds: (drained - t0) / 1000,
		turnsPerSecond: total / ((drained - t0) / 1000),
	}
}

/**
 * The `soak` scenario, also run against the peer: a fixed set of `sessions` warm sessions, each
 * sending its next message when the last was answered, `concurrency` sessions at a time.
 * 1. `warm` turns per session first: the instances exist, and the runtime's per-object storage
 *    (local SQLite pages and logs, which grow under writes and level off, as a bare Durable Object
 *    doing one insert per request shows) reaches its steady state.
 * 2. `messages` turns per session, measured: the runtime's resident memory before, during and
 *    after. No heap snapshot is taken around this pass: one briefly adds hundreds of MiB of RSS.
 * 3. `newSessions` new sessions, one turn each: what one more session (one more object) costs
 *    in RSS, apart from the turns.
 * 4. `heapMessages` turns per session between two readings of the Worker's live heap (after a
 *    full GC, through a heap snapshot).
 * Every transcript is read back to count lost and out-of-order messages.
 * @param {import('./client.mjs').ChatClient} client
 * @param {{ prefix: string, sessions: number, warm: number, messages: number, newSessions: number, heapMessages: number, concurrency: number, rss: () => number, heap: () => Promise<number> }} o
 */
export async function soakScenario(client, o) {
	let errors = 0
	/** @param {string} session @param {string} text */
	const send = async (session, text) => {
		try {
			if ((await client.turn(session, text)) !== `echo: ${text}`) errors++
		} catch {
			errors++
		}
	}
	/** Every session sends `from`…`to - 1`, one after the other; `after` runs after each turn. */
	const pass = (/** @type {number} */ from, /** @type {number} */ to, after = () => {}) =>
		pool(o.sessions, o.concurrency, async (s) => {
			for (let m = from; m < to; m++) {
				await send(`${o.prefix}-${s}`, `s${s}-m${m}`)
				after()
			}
		})
	const measuredFrom = o.warm
	const heapFrom = measuredFrom + o.messages
	const total = heapFrom + o.heapMessages
	await pass(0, measuredFrom)

	const rssBefore = o.rss()
	/** @type {{ turns: number, rss: number }[]} */
	const samples = [{ turns: 0, rss: rssBefore }]
	let done = 0
	const every = Math.max(1, Math.floor((o.sessions * o.messages) / 8))
	const t0 = performance.now()
	await pass(measuredFrom, heapFrom, () => {
		if (++done % every === 0) samples.push({ turns: done, rss: o.rss() })
	})
	const seconds = (performance.now() - t0) / 1000
	const rssAfter = o.rss()

	await pool(o.newSessions, o.concurrency, (s) => send(`${o.prefix}-new-${s}`, `hello ${s}`))
	const rssNew = o.rss()

	const heapBefore = await o.heap()
	await pass(heapFrom, total)
	const heapAfter = await o.heap()

	let lost = 0
	let outOfOrder = 0
	await pool(o.sessions, o.concurrency, async (s) => {
		const messages = await client.transcript(`${o.prefix}-${s}`)
		const users = messages.filter((m) => m.role === 'user').map((m) => m.text)
		const expected = Array.from({ length: total }, (_, m) => `s${s}-m${m}`)
		lost += expected.filter((e) => !users.includes(e)).length
		if (users.filter((u) => expected.includes(u)).some((u, i) => u !== expected[i])) outOfOrder++
		for (let i = 0; i + 1 < messages.length; i += 2) {
			const [q, a] = [messages[i], messages[i + 1]]
			if (q?.role !== 'user' || a?.role !== 'assistant' || a.text !== `echo: ${q.text}`)
				outOfOrder++
		}
	})
	const turns = o.sessions * o.messages
	const heapTurns = o.sessions * o.heapMessages
	return {
		sessions: o.sessions,
		warm: o.warm,
		messages: o.messages,
		turns,
		concurrency: o.concurrency,
		errors,
		lost,
		outOfOrder,
		seconds,
		turnsPerSecond: turns / seconds,
		rssBefore,
		rssAfter,
		samples,
		rssPer1000: ((rssAfter - rssBefore) / turns) * 1000,
		newSessions: o.newSessions,
		rssKiBPerNewSession: ((rssNew - rssAfter) * 1024) / Math.max(1, o.newSessions),
		heapTurns,
		heapBefore,
		heapAfter,
		heapPer1000: ((heapAfter - heapBefore) / Math.max(1, heapTurns)) * 1000,
	}
}
