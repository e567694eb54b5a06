// The `sessions` scenario: N sessions × M messages in flight at once. Messages of one session are
// submitted in order; sessions run concurrently. Afterwards every transcript is read back to count
// lost, duplicated and out-of-order messages (all must be 0).
import { performance } from 'node:perf_hooks'

/**
 * Runs `tasks` with at most `limit` in flight.
 * @template T
 * @param {number} count
 * @param {number} limit
 * @param {(i: number) => Promise<T>} task
 * @returns {Promise<T[]>}
 */
async function pool(count, limit, task) {
	/** @type {T[]} */
	const results = new Array(count)
	let next = 0
	const worker = async () => {
		while (next < count) {
			const i = next++
			results[i] = await task(i)
		}
	}
	await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
	return results
}

/**
 * @param {{ url: string, headers: Record<string, string>, sessions: number, messages: number, concurrency: number, prefix: string }} o
 */
export async function sessionsScenario(o) {
	const json = { ...o.headers, 'content-type': 'application/json' }
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
			const res = await fetch(`${o.url}/v1/sessions/${o.prefix}-${s}/messages?limit=500`, {
				headers: o.headers,
			})
			const body = /** @type {{ messages: { role: string, content: { text: string }[] }[] }} */ (
				await res.json()
			)
			const texts = body.messages.map((m) => m.content.map((p) => p.text).join(''))
			const users = texts.filter((_, i) => body.messages[i]?.role === 'user')
			const replies = body.messages.filter((m) => m.role === 'assistant').length
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
