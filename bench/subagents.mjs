// The `subagents` phase: what delegating costs against one plain turn, on the offline model, one
// request in flight, interleaved sample by sample. `subagent.wait`: one turn whose
// sessions_spawn waits for its child's answer; `subagent.announce`: from the spawning request
// until the child's announce is stored in the parent; `subagent.answer`: until the parent's turn
// on that announce has answered. Each sample uses sessions of its own.
import { performance } from 'node:perf_hooks'
import { edgeclawClient } from './client.mjs'
import { latencyResult } from './lib.mjs'

export const SUBAGENT_AGENT = 'bench-boss'

/**
 * @param {{ url: string, headers: Record<string, string>, samples: number, warmup: number }} o
 * @returns {Promise<import('./lib.mjs').Result[]>}
 */
export async function subagentsScenario(o) {
	const json = { ...o.headers, 'content-type': 'application/json' }
	const client = edgeclawClient(o.url, o.headers)
	const post = async (/** @type {string} */ session, /** @type {string} */ content) => {
		const res = await fetch(`${o.url}/v1/sessions/${encodeURIComponent(session)}/messages`, {
			method: 'POST',
			headers: json,
			body: JSON.stringify({ agent: SUBAGENT_AGENT, content, wait: true }),
		})
		const run = /** @type {{ status: string, output?: string }} */ (await res.json())
		return run.status === 'succeeded' ? String(run.output) : null
	}
	const transcript = async (/** @type {string} */ session) => {
		const res = await fetch(
			`${o.url}/v1/sessions/${encodeURIComponent(session)}/messages?agent=${SUBAGENT_AGENT}&limit=500`,
			{ headers: o.headers },
		)
		const page = /** @type {{ messages: { role: string, content: { text?: string }[] }[] }} */ (
			await res.json()
		)
		return page.messages.map((m) => ({
			role: m.role,
			text: m.content.map((p) => p.text ?? '').join(''),
		}))
	}
	const spawn = (/** @type {Record<string, unknown>} */ args) =>
		`/tool sessions_spawn ${JSON.stringify(args)}`
	/** @type {Record<string, { samples: number[], errors: number }>} */
	const acc = {
		'subagent.plain-turn': { samples: [], errors: 0 },
		'subagent.wait': { samples: [], errors: 0 },
		'subagent.announce': { samples: [], errors: 0 },
		'subagent.answer': { samples: [], errors: 0 },
	}
	const tag = Date.now().toString(36)
	for (let i = 0; i < o.warmup + o.samples; i++) {
		const keep = i >= o.warmup
		const record = (/** @type {string} */ name, /** @type {number} */ ms, ok = true) => {
			const a = acc[name]
			if (!keep || !a) return
			a.samples.push(ms)
			if (!ok) a.errors++
		}
		let t0 = performance.now()
		const plain = await client.turn(`sa-plain-${tag}-${i}`, 'ping')
		record('subagent.plain-turn', performance.now() - t0, plain === 'echo: ping')

		t0 = performance.now()
		const waited = await post(`sa-wait-${tag}-${i}`, spawn({ task: 'ping', wait: true }))
		record('subagent.wait', performance.now() - t0, waited?.includes('echo: ping') === true)

		const session = `sa-announce-${tag}-${i}`
		t0 = performance.now()
		const started = await post(session, spawn({ task: 'ping', label: 'bench' }))
		let announced = Number.NaN
		let answered = Number.NaN
		const deadline = Date.now() + 30_000
		while (started !== null && Date.now() < deadline) {
			const ms = await transcript(session)
			const at = performance.now() - t0
			if (
				Number.isNaN(announced) &&
				ms.some((m) => m.role === 'user' && m.text.includes('Subagent "bench"'))
			)
				announced = at
			if (ms.some((m) => m.role === 'assistant' && m.text.includes('Subagent "bench"'))) {
				answered = at
				break
			}
			await new Promise((r) => setTimeout(r, 2))
		}
		record('subagent.announce', announced, !Number.isNaN(announced))
		record('subagent.answer', answered, !Number.isNaN(answered))
	}
	return Object.entries(acc).map(([name, a]) =>
		latencyResult(
			{ name, ...(name !== 'subagent.plain-turn' && { baseline: 'subagent.plain-turn' }) },
			a.samples.filter((x) => !Number.isNaN(x)),
			a.errors,
		),
	)
}
