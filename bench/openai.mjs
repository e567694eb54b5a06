// The OpenAI-compatible API against the native one, on the agent whose model is the instant
// OpenAI-compatible server (provider I/O is real HTTP): what a throwaway session costs (a request
// without `user`) against the same request with one, one in flight, interleaved; and 20 users at
// once through /v1/chat/completions against 20 native turns at once, closed loops of equal shape.
import { closedLoop, measure } from './lib.mjs'

const AGENT = 'bench-openai'
const ANSWER = 'Hello from the instant model.'

/**
 * @param {{ url: string, auth: Record<string, string>, plan: { rounds: number, perRound: number, warmup: number }, load: { concurrency: number, count: number, timeMs: number } }} o
 */
export async function openaiScenario({ url, auth, plan, load }) {
	const json = { ...auth, 'content-type': 'application/json' }
	/** @param {number} i @param {string} [user] */
	const completion = (i, user) =>
		fetch(`${url}/v1/chat/completions`, {
			method: 'POST',
			headers: json,
			body: JSON.stringify({
				model: `edgeclaw/${AGENT}`,
				...(user !== undefined && { user }),
				messages: [{ role: 'user', content: `message ${i}` }],
			}),
		})
	const completed = (/** @type {string} */ body) =>
		JSON.parse(body).choices?.[0]?.message?.content === ANSWER
	/** @param {string} session @param {number} i */
	const native = (session, i) =>
		fetch(`${url}/v1/sessions/${session}/messages`, {
			method: 'POST',
			headers: json,
			body: JSON.stringify({ agent: AGENT, content: `message ${i}`, wait: true }),
		})
	const answered = (/** @type {string} */ body) => {
		const run = JSON.parse(body)
		return run.status === 'succeeded' && run.output === ANSWER
	}

	const latency = await measure(
		[
			{
				name: 'openai.user',
				request: (i) => completion(i, `bench-user-${i % 64}`),
				check: completed,
			},
			{
				name: 'openai.ephemeral',
				baseline: 'openai.user',
				request: (i) => completion(i),
				check: completed,
			},
		],
		plan,
	)
	const c = load.concurrency
	const throughput = [
		await closedLoop(
			{
				name: 'turn.openai.load',
				request: (i) => native(`load-openai-${i % c}`, i),
				check: answered,
			},
			load,
		),
		await closedLoop(
			{
				name: 'openai.load',
				request: (i) => completion(i, `load-user-${i % c}`),
				check: completed,
			},
			load,
		),
	]
	return { latency, throughput }
}
