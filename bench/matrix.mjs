// The latency matrix: every scenario measured with one request in flight, interleaved round by
// round, each with the baseline its ratio is taken against. Two groups, measured one after the
// other: group 1 holds what the budgets compare with the floor and with the turn (floor, gateway,
// turn, the turn on the HTTP model, the peer's turns); group 2 the model steps, the tools and the
// turns with a tool. On one local workerd thread the deferred work of group 2's lanes (tool
// records, queue consumers, usage flushes of 190 more lanes) would land inside group 1's
// sequential samples; on Cloudflare those objects run elsewhere. A ratio across the groups
// (turn.tool.lane against turn) is of the same run but not interleaved: it carries group 2's
// extra background work.
import { peerTurn } from './peer.mjs'

/**
 * @param {{ product: string, floor: string, peer: string, auth: Record<string, string>, keyAuth: Record<string, string>, modelBase: string }} o
 * @returns {import('./lib.mjs').Scenario[]}
 */
export function latencyScenarios({ product, floor, peer, auth, keyAuth, modelBase }) {
	const json = { ...auth, 'content-type': 'application/json' }
	const base = encodeURIComponent(modelBase)
	/** @param {string} session @param {string} content @param {string} [agent] */
	const turn = (session, content, agent) =>
		fetch(`${product}/v1/sessions/${session}/messages`, {
			method: 'POST',
			headers: json,
			body: JSON.stringify({ ...(agent && { agent }), content, wait: true }),
		})
	/** A turn that succeeded and whose answer starts with `prefix`. @param {string} prefix */
	const answered = (prefix) => (/** @type {string} */ body) => {
		const run = JSON.parse(body)
		return run.status === 'succeeded' && String(run.output).startsWith(prefix)
	}
	/** @param {string} prefix */
	const peerAnswered = (prefix) => (/** @type {string} */ body) =>
		String(JSON.parse(body).text).startsWith(prefix)
	/** @param {'direct' | 'job'} how @param {number} i */
	const echo = (how, i) =>
		fetch(`${floor}/tool/${how}/lane-${i % 64}`, { method: 'POST', body: JSON.stringify({ i }) })
	const echoed = (/** @type {string} */ body) => JSON.parse(body).text.startsWith('{"i":')
	return [
		{ name: 'floor.bare', request: () => fetch(`${floor}/bare`) },
		{ name: 'gateway.health', baseline: 'floor.bare', request: () => fetch(`${product}/health`) },
		{
			name: 'floor.append',
			request: (i) =>
				fetch(`${floor}/append/lane-${i % 64}`, { method: 'POST', body: `message ${i}` }),
		},
		{ name: 'gateway.ready', baseline: 'floor.append', request: () => fetch(`${product}/ready`) },
		{
			name: 'gateway.agents',
			baseline: 'floor.append',
			request: () => fetch(`${product}/v1/agents`, { headers: auth }),
		},
		{
			name: 'gateway.agents.key',
			baseline: 'gateway.agents',
			request: () => fetch(`${product}/v1/agents`, { headers: keyAuth }),
		},
		// One model step: the provider call made raw vs. through the agent loop (same Worker).
		{ name: 'step.offline.raw', group: 2, request: () => fetch(`${floor}/offline/raw`) },
		{
			name: 'step.offline.loop',
			group: 2,
			baseline: 'step.offline.raw',
			request: () => fetch(`${floor}/offline/loop`),
		},
		{ name: 'step.openai.raw', group: 2, request: () => fetch(`${floor}/model/raw?base=${base}`) },
		{
			name: 'step.openai.loop',
			group: 2,
			baseline: 'step.openai.raw',
			request: () => fetch(`${floor}/model/loop?base=${base}`),
		},
		// One tool call in a lane: in-process vs. as a tool job (queue → consumer → claim and
		// delivery by RPC); and run_js's isolate start + run.
		{ name: 'tool.direct', group: 2, request: (i) => echo('direct', i), check: echoed },
		{
			name: 'tool.job',
			group: 2,
			baseline: 'tool.direct',
			request: (i) => echo('job', i),
			check: echoed,
		},
		{
			name: 'isolate.run_js',
			group: 2,
			baseline: 'floor.bare',
			request: () => fetch(`${floor}/isolate`),
			check: (body) => JSON.parse(body).result === 1,
		},
		{
			name: 'turn',
			baseline: 'floor.append',
			request: (i) => turn(`bench-${i % 64}`, `message ${i}`),
			check: answered('echo: message'),
		},
		// The same turn with the model behind real HTTP: an OpenAI-compatible provider on loopback.
		{
			name: 'turn.openai',
			baseline: 'turn',
			request: (i) => turn(`openai-${i % 64}`, `message ${i}`, 'bench-openai'),
			check: answered('Hello from the instant model.'),
		},
		// Whole turns with one tool call: a lane tool, then a tool job running run_js.
		{
			name: 'turn.tool.lane',
			group: 2,
			baseline: 'turn',
			request: (i) => turn(`tool-lane-${i % 64}`, '/tool time_now {}', 'bench-coder'),
			check: answered('time_now returned'),
		},
		{
			name: 'turn.tool.job',
			group: 2,
			baseline: 'turn.tool.lane',
			request: (i) => turn(`tool-job-${i % 64}`, '/tool run_js {"code":"return 1"}', 'bench-coder'),
			check: answered('run_js returned {"ok":true'),
		},
		// The peer: the Agents SDK's AIChatAgent doing the same turns, same models, same runtime.
		{
			name: 'peer.turn',
			baseline: 'turn',
			request: (i) => peerTurn(peer, `bench-${i % 64}`, `message ${i}`),
			check: peerAnswered('echo: message'),
		},
		{
			name: 'peer.turn.openai',
			baseline: 'turn.openai',
			request: (i) => peerTurn(peer, `openai-${i % 64}`, `message ${i}`, 'openai'),
			check: peerAnswered('Hello from the instant model.'),
		},
	]
}
