// A fake Telegram Bot API on loopback, for the channel contract test and the channels bench: it
// records every `POST /bot<token>/<method>` with its arrival time and answers as Telegram would;
// and the update Telegram posts to a bot's webhook for a private-chat text message.
import { createServer } from 'node:http'
import { performance } from 'node:perf_hooks'

/**
 * One Bot API call as it arrived: `at` is `performance.now()` in this process, so a caller in the
 * same process can time a webhook it sent against the reply it caused.
 * @typedef {{ method: string, token: string, body: Record<string, unknown>, at: number }} BotCall
 * @typedef {{ baseURL: string, calls: BotCall[], waitFor: (predicate: (call: BotCall) => boolean, timeoutMs?: number) => Promise<BotCall>, stop: () => Promise<void> }} FakeTelegram
 */

const CALL_PATH = /^\/bot([^/]+)\/([A-Za-z]+)$/

/** Starts the server on a free loopback port; `baseURL` is what a channel's `apiBase` takes. */
export function startFakeTelegram() {
	/** @type {BotCall[]} */
	const calls = []
	/** @type {Set<(call: BotCall) => void>} */
	const waiters = new Set()
	let messageId = 0
	const server = createServer((req, res) => {
		/** @type {Buffer[]} */
		const chunks = []
		req.on('data', (c) => chunks.push(c))
		req.on('end', () => {
			const at = performance.now()
			const match = CALL_PATH.exec(req.url ?? '')
			if (req.method !== 'POST' || !match) {
				res.writeHead(404, { 'content-type': 'application/json' })
				res.end('{"ok":false,"error_code":404,"description":"Not Found"}')
				return
			}
			/** @type {Record<string, unknown>} */
			let body
			try {
				body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
			} catch {
				res.writeHead(400, { 'content-type': 'application/json' })
				res.end('{"ok":false,"error_code":400,"description":"Bad Request: invalid JSON"}')
				return
			}
			const call = { method: match[2] ?? '', token: decodeURIComponent(match[1] ?? ''), body, at }
			calls.push(call)
			const result = call.method === 'sendMessage' ? { message_id: ++messageId } : true
			res.writeHead(200, { 'content-type': 'application/json' })
			res.end(JSON.stringify({ ok: true, result }))
			for (const wake of [...waiters]) wake(call)
		})
	})
	server.keepAliveTimeout = 60_000

	/** @type {FakeTelegram['waitFor']} */
	const waitFor = (predicate, timeoutMs = 30_000) => {
		const seen = calls.find(predicate)
		if (seen) return Promise.resolve(seen)
		return new Promise((resolve, reject) => {
			const wake = (/** @type {BotCall} */ call) => {
				if (!predicate(call)) return
				waiters.delete(wake)
				clearTimeout(timer)
				resolve(call)
			}
			const timer = setTimeout(() => {
				waiters.delete(wake)
				const last = calls.slice(-10).map((c) => c.method)
				reject(
					new Error(
						`fake Telegram: no matching call in ${timeoutMs} ms (${calls.length} calls; last: ${last.join(', ') || 'none'})`,
					),
				)
			}, timeoutMs)
			waiters.add(wake)
		})
	}

	return /** @type {Promise<FakeTelegram>} */ (
		new Promise((resolve) => {
			server.listen(0, '127.0.0.1', () => {
				const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
				resolve({
					baseURL: `http://127.0.0.1:${port}`,
					calls,
					waitFor,
					stop: () =>
						new Promise((r) => {
							server.closeAllConnections()
							server.close(() => r(undefined))
						}),
				})
			})
		})
	)
}

/**
 * A private-chat text message as Telegram posts it to a webhook (the sender is the chat).
 * @param {number} id the update_id, which a webhook takes at most once
 * @param {number} chat
 * @param {string} text
 */
export function telegramUpdate(id, chat, text) {
	return {
		update_id: id,
		message: {
			message_id: id,
			date: Math.floor(Date.now() / 1000),
			chat: { id: chat, first_name: 'Ada', type: 'private' },
			from: { id: chat, is_bot: false, first_name: 'Ada' },
			text,
		},
	}
}
