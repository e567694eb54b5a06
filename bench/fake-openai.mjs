// An OpenAI-compatible model server on loopback that answers at once: a fixed Chat Completions
// SSE stream (a few content deltas, a finish chunk, usage, [DONE]). It stands in for a provider so
// the bench measures edgeclaw's own cost around real HTTP provider I/O.
import { createServer } from 'node:http'

/**
 * @param {object} delta
 * @param {string | null} [finish]
 * @param {object} [usage]
 */
const chunk = (delta, finish = null, usage = undefined) =>
	JSON.stringify({
		id: 'chatcmpl-bench',
		object: 'chat.completion.chunk',
		created: 1,
		model: 'bench-instant',
		choices: usage && !finish ? [] : [{ index: 0, delta, finish_reason: finish }],
		...(usage ? { usage } : {}),
	})

const BODY = [
	chunk({ role: 'assistant', content: '' }),
	chunk({ content: 'Hello' }),
	chunk({ content: ' from the' }),
	chunk({ content: ' instant model.' }),
	chunk({}, 'stop'),
	chunk({}, null, { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 }),
	'[DONE]',
]
	.map((d) => `data: ${d}\n\n`)
	.join('')

/** Starts the server on a free loopback port; resolves to its base URL (…/v1) and a stop(). */
export function startFakeOpenAI() {
	const server = createServer((req, res) => {
		req.resume()
		req.on('end', () => {
			if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
				res.writeHead(404).end()
				return
			}
			res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
			res.end(BODY)
		})
	})
	server.keepAliveTimeout = 60_000
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
			resolve({
				baseURL: `http://127.0.0.1:${port}/v1`,
				stop: () => new Promise((r) => server.close(() => r(undefined))),
			})
		})
	})
}
