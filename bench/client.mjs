// The bench's client of edgeclaw's native API: one turn (submit and wait for the answer) and a
// session's stored transcript, every page of it.

/**
 * A chat client of one system under test: one turn that resolves to the answer's text, and the
 * stored transcript of a session (after message seq `after`).
 * @typedef {{ role: string, text: string }} ChatMessage
 * @typedef {{ turn: (session: string, text: string) => Promise<string>, transcript: (session: string, after?: number) => Promise<ChatMessage[]> }} ChatClient
 */

/**
 * @param {string} url the gateway's base URL
 * @param {Record<string, string>} headers its authorization
 * @returns {ChatClient}
 */
export function edgeclawClient(url, headers) {
	const messages = (/** @type {string} */ session) =>
		`${url}/v1/sessions/${encodeURIComponent(session)}/messages`
	return {
		async turn(session, text) {
			const res = await fetch(messages(session), {
				method: 'POST',
				headers: { ...headers, 'content-type': 'application/json' },
				body: JSON.stringify({ content: text, wait: true }),
			})
			const run = /** @type {{ status: string, output?: string }} */ (await res.json())
			return run.status === 'succeeded' ? String(run.output) : `(${run.status})`
		},
		async transcript(session, after = 0) {
			/** @type {ChatMessage[]} */
			const out = []
			/** @type {number | null} */
			let next = after
			while (next !== null) {
				const res = await fetch(`${messages(session)}?limit=500&after=${next}`, { headers })
				const page =
					/** @type {{ messages: { role: string, content: { text?: string }[] }[], next: number | null }} */ (
						await res.json()
					)
				for (const m of page.messages)
					out.push({ role: m.role, text: m.content.map((p) => p.text ?? '').join('') })
				next = page.next
			}
			return out
		},
	}
}
