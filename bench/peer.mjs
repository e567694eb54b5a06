// The bench's peer on the same runtime: the Cloudflare Agents SDK's AIChatAgent (bench/peer), one
// agent per session, under `wrangler dev`. A turn answers once the assistant reply is stored.
import { startWorker } from './lib.mjs'

/** @typedef {'offline' | 'openai'} PeerModel */
/** @typedef {{ role: string, text: string }} PeerMessage */

/**
 * Starts the peer Worker with its state in `state`; its OpenAI-compatible model talks to
 * `openaiBaseURL` (…/v1).
 * @param {{ cwd: string, state: string, openaiBaseURL: string }} options
 * @returns {Promise<import('./lib.mjs').RunningWorker>}
 */
export function startPeer({ cwd, state, openaiBaseURL }) {
	return startWorker({
		config: 'bench/peer/wrangler.toml',
		cwd,
		readyPath: '/ready',
		args: ['--persist-to', state, '--var', `PEER_OPENAI_BASE_URL:${openaiBaseURL}`],
	})
}

/**
 * One chat turn in the agent named `session`; the body is `{ text }` (the reply) on 200,
 * `{ error }` on 500.
 * @param {string} url the peer's base URL
 * @param {string} session
 * @param {string} text
 * @param {PeerModel} [model]
 * @returns {Promise<Response>}
 */
export function peerTurn(url, session, text, model = 'offline') {
	return fetch(`${url}/turn/${encodeURIComponent(session)}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ text, model }),
	})
}

/**
 * The stored transcript of `session`, in order.
 * @param {string} url the peer's base URL
 * @param {string} session
 * @returns {Promise<PeerMessage[]>}
 */
export async function peerTranscript(url, session) {
	const res = await fetch(`${url}/messages/${encodeURIComponent(session)}`)
	if (!res.ok) throw new Error(`peer transcript ${res.status}: ${await res.text()}`)
	const body = /** @type {{ messages: PeerMessage[] }} */ (await res.json())
	return body.messages
}

/**
 * The peer as a chat client (its transcript is read whole: `after` is not used by the soak).
 * @param {string} url the peer's base URL
 * @returns {import('./client.mjs').ChatClient}
 */
export function peerClient(url) {
	return {
		async turn(session, text) {
			const res = await peerTurn(url, session, text)
			return String(/** @type {{ text?: string }} */ (await res.json()).text)
		},
		transcript: (session) => peerTranscript(url, session),
	}
}
