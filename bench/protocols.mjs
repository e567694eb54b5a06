// The `stream` scenario: time to first token (TTFT) and full-turn latency of one turn with the
// instant offline model, through every client protocol — native HTTP (wait), native SSE and
// WebSocket event streams, the OpenAI-compatible API (Chat Completions JSON and streaming, the
// Responses API, and a client-tool round trip: the call and the answer to its result, two
// requests), and the OpenClaw gateway protocol — interleaved round by round, each compared with
// the native HTTP turn.
import { performance } from 'node:perf_hooks'
import { grid, opened, quantile } from './lib.mjs'

/** Events by run id, with the time each kind was first seen; waiters wake when theirs lands. */
export class RunBook {
	/** @type {Map<string, { delta?: number, final?: number }>} */
	runs = new Map()
	/** @type {Set<() => void>} */
	waiters = new Set()
	/** @param {string} runId @param {'delta' | 'final'} kind */
	seen(runId, kind) {
		const r = this.runs.get(runId) ?? {}
		r[kind] ??= performance.now()
		this.runs.set(runId, r)
		for (const w of [...this.waiters]) w()
	}
	/** @param {string} runId @returns {Promise<{ delta?: number, final: number }>} */
	final(runId) {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`run ${runId}: no final in 30 s`)), 30_000)
			const check = () => {
				const r = this.runs.get(runId)
				if (r?.final === undefined) return
				this.waiters.delete(check)
				clearTimeout(timer)
				this.runs.delete(runId)
				resolve(/** @type {{ delta?: number, final: number }} */ (r))
			}
			this.waiters.add(check)
			check()
		})
	}
}

/** @param {number[]} xs @param {number} q */
const quantileOf = (xs, q) =>
	quantile(
		[...xs].sort((a, b) => a - b),
		q,
	)

/** Reads an SSE body, calling `onData` with each `data:` payload. */
async function readSse(
	/** @type {ReadableStream<Uint8Array>} */ body,
	/** @type {(d: string) => void} */ onData,
) {
	const decoder = new TextDecoder()
	let buf = ''
	for await (const chunk of body) {
		buf += decoder.decode(chunk, { stream: true })
		let end = buf.indexOf('\n\n')
		while (end >= 0) {
			const frame = buf.slice(0, end)
			buf = buf.slice(end + 2)
			for (const line of frame.split('\n')) if (line.startsWith('data: ')) onData(line.slice(6))
			end = buf.indexOf('\n\n')
		}
	}
}

/**
 * @param {{ url: string, token: string, rounds: number, perRound: number, warmup: number }} o
 */
export async function protocolsScenario(o) {
	const auth = { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' }
	const wsUrl = o.url.replace(/^http/, 'ws')
	const closers = []
	/** @param {string} session @param {string} content @param {boolean} wait */
	const post = (session, content, wait) =>
		fetch(`${o.url}/v1/sessions/${session}/messages`, {
			method: 'POST',
			headers: auth,
			body: JSON.stringify({ content, wait }),
		})
	// Create the sessions the streams follow (a stream of an unknown session is a 404).
	for (const s of ['proto-sse', 'proto-ws']) await (await post(s, 'hello', true)).arrayBuffer()

	const sseBook = new RunBook()
	const sse = new AbortController()
	closers.push(() => sse.abort())
	const sseRes = await fetch(`${o.url}/v1/sessions/proto-sse/events?after=1000000000`, {
		headers: auth,
		signal: sse.signal,
	})
	if (!sseRes.body) throw new Error('no SSE body')
	readSse(sseRes.body, (d) => {
		const e = JSON.parse(d)
		if (e.type === 'delta' || e.type === 'final') sseBook.seen(e.runId, e.type)
	}).catch(() => {})

	const wsBook = new RunBook()
	const native = new WebSocket(`${wsUrl}/v1/sessions/proto-ws/ws?after=1000000000`, [
		'edgeclaw',
		`bearer.${o.token}`,
	])
	await opened(native)
	closers.push(() => native.close())
	native.addEventListener('message', (m) => {
		const e = JSON.parse(String(m.data))
		if (e.type === 'delta' || e.type === 'final') wsBook.seen(e.runId, e.type)
	})

	const clawBook = new RunBook()
	const claw = new WebSocket(`${wsUrl}/v1/gateway`)
	closers.push(() => claw.close())
	/** @type {Map<string, (f: any) => void>} */
	const pending = new Map()
	let reqs = 0
	/** @param {string} method @param {unknown} params @returns {Promise<any>} */
	const clawRequest = (method, params) =>
		new Promise((resolve) => {
			const id = `b${++reqs}`
			pending.set(id, resolve)
			claw.send(JSON.stringify({ type: 'req', id, method, params }))
		})
	const challenged = new Promise((resolve) => {
		claw.addEventListener('message', (m) => {
			const f = JSON.parse(String(m.data))
			if (f.type === 'res') pending.get(f.id)?.(f)
			else if (f.event === 'connect.challenge') resolve(undefined)
			else if (f.event === 'chat') {
				const state = f.payload.state
				if (state === 'delta' || state === 'final') clawBook.seen(f.payload.runId, state)
			}
		})
	})
	await opened(claw)
	await challenged
	const hello = /** @type {any} */ (
		await clawRequest('connect', {
			minProtocol: 4,
			maxProtocol: 4,
			client: { id: 'edgeclaw-bench', version: '1', platform: 'node', mode: 'operator' },
			role: 'operator',
			scopes: ['operator.read', 'operator.write'],
			auth: { token: o.token },
		})
	)
	if (!hello.ok) throw new Error(`gateway connect failed: ${JSON.stringify(hello.error)}`)

	/** @type {{ name: string, run: (i: number) => Promise<{ ttft?: number, full: number }> }[]} */
	const scenarios = [
		{
			name: 'http.wait',
			async run(i) {
				const t0 = performance.now()
				const res = await post('proto-http', `message ${i}`, true)
				const run = /** @type {{ status: string }} */ (await res.json())
				if (run.status !== 'succeeded') throw new Error(`http: ${run.status}`)
				return { full: performance.now() - t0 }
			},
		},
		...[
			['native.sse', 'proto-sse', sseBook],
			['native.ws', 'proto-ws', wsBook],
		].map(([name, session, book]) => ({
			name: /** @type {string} */ (name),
			async run(/** @type {number} */ i) {
				const t0 = performance.now()
				const res = await post(/** @type {string} */ (session), `message ${i}`, false)
				const { runId } = /** @type {{ runId: string }} */ (await res.json())
				const r = await /** @type {RunBook} */ (book).final(runId)
				return { ttft: (r.delta ?? r.final) - t0, full: r.final - t0 }
			},
		})),
		{
			name: 'openai.json',
			async run(i) {
				const t0 = performance.now()
				const res = await fetch(`${o.url}/v1/chat/completions`, {
					method: 'POST',
					headers: { ...auth, 'x-edgeclaw-session': 'proto-openai-json' },
					body: JSON.stringify({
						model: 'edgeclaw/main',
						messages: [{ role: 'user', content: `message ${i}` }],
					}),
				})
				const body = /** @type {any} */ (await res.json())
				if (!body.choices?.[0]?.message?.content) throw new Error(`openai: ${JSON.stringify(body)}`)
				return { full: performance.now() - t0 }
			},
		},
		{
			name: 'openai.stream',
			async run(i) {
				const t0 = performance.now()
				const res = await fetch(`${o.url}/v1/chat/completions`, {
					method: 'POST',
					headers: { ...auth, 'x-edgeclaw-session': 'proto-openai-stream' },
					body: JSON.stringify({
						model: 'edgeclaw/main',
						stream: true,
						messages: [{ role: 'user', content: `message ${i}` }],
					}),
				})
				if (!res.body) throw new Error('openai stream: no body')
				/** @type {number | undefined} */
				let ttft
				let done = false
				await readSse(res.body, (d) => {
					if (d === '[DONE]') done = true
					else if (ttft === undefined && JSON.parse(d).choices?.[0]?.delta?.content) {
						ttft = performance.now() - t0
					}
				})
				if (!done) throw new Error('openai stream: no [DONE]')
				return { ttft, full: performance.now() - t0 }
			},
		},
		{
			name: 'openai.responses',
			async run(i) {
				const t0 = performance.now()
				const res = await fetch(`${o.url}/v1/responses`, {
					method: 'POST',
					headers: { ...auth, 'x-edgeclaw-session': 'proto-responses' },
					body: JSON.stringify({ model: 'edgeclaw/main', input: `message ${i}` }),
				})
				const body = /** @type {any} */ (await res.json())
				if (body.status !== 'completed') throw new Error(`responses: ${JSON.stringify(body)}`)
				return { full: performance.now() - t0 }
			},
		},
		{
			// Two requests: the turn that returns the client tool call, and the turn that answers
			// its result (so about 2× a single turn is the floor).
			name: 'openai.tool-round-trip',
			async run(i) {
				const t0 = performance.now()
				const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }]
				const messages = [{ role: 'user', content: `/tool lookup {"i":${i}}` }]
				/** @param {unknown[]} msgs */
				const turn = async (msgs) => {
					const res = await fetch(`${o.url}/v1/chat/completions`, {
						method: 'POST',
						headers: { ...auth, 'x-edgeclaw-session': 'proto-openai-tools' },
						body: JSON.stringify({ model: 'edgeclaw/main', messages: msgs, tools }),
					})
					return /** @type {any} */ (await res.json()).choices?.[0]
				}
				const first = await turn(messages)
				const call = first?.message?.tool_calls?.[0]
				if (!call) throw new Error(`tools: no call ${JSON.stringify(first)}`)
				const second = await turn([
					...messages,
					first.message,
					{ role: 'tool', tool_call_id: call.id, content: 'ok' },
				])
				if (second?.finish_reason !== 'stop') throw new Error('tools: no answer')
				return { full: performance.now() - t0 }
			},
		},
		{
			name: 'openclaw.chat',
			async run(i) {
				const t0 = performance.now()
				const ack = /** @type {any} */ (
					await clawRequest('chat.send', {
						sessionKey: 'agent:main:proto-openclaw',
						message: `message ${i}`,
						idempotencyKey: `bench-${Date.now()}-${i}`,
					})
				)
				if (!ack.ok) throw new Error(`chat.send: ${JSON.stringify(ack.error)}`)
				const r = await clawBook.final(ack.payload.runId)
				return { ttft: (r.delta ?? r.final) - t0, full: r.final - t0 }
			},
		},
	]

	/** @type {Map<string, { ttft: number[], full: number[], errors: number }>} */
	const acc = new Map(scenarios.map((s) => [s.name, { ttft: [], full: [], errors: 0 }]))
	let counter = 0
	try {
		for (const s of scenarios) for (let w = 0; w < o.warmup; w++) await s.run(counter++)
		for (let round = 0; round < o.rounds; round++) {
			for (const s of scenarios) {
				const a = /** @type {{ ttft: number[], full: number[], errors: number }} */ (
					acc.get(s.name)
				)
				for (let k = 0; k < o.perRound; k++) {
					try {
						const r = await s.run(counter++)
						a.full.push(r.full)
						if (r.ttft !== undefined) a.ttft.push(r.ttft)
					} catch {
						a.errors++
					}
				}
			}
		}
	} finally {
		for (const close of closers) close()
	}
	const base = acc.get('http.wait')
	const baseP50 = base ? quantileOf(base.full, 0.5) : Number.NaN
	return scenarios.map((s) => {
		const a = /** @type {{ ttft: number[], full: number[], errors: number }} */ (acc.get(s.name))
		const full50 = quantileOf(a.full, 0.5)
		return {
			name: s.name,
			n: a.full.length,
			errors: a.errors,
			ttftP50: a.ttft.length ? quantileOf(a.ttft, 0.5) : null,
			ttftP99: a.ttft.length ? quantileOf(a.ttft, 0.99) : null,
			fullP50: full50,
			fullP99: quantileOf(a.full, 0.99),
			vsHttp: full50 / baseP50,
		}
	})
}

/** @param {Awaited<ReturnType<typeof protocolsScenario>>} rows */
export function protocolsTable(rows) {
	const f = (/** @type {number | null} */ x) => (x === null ? '—' : x.toFixed(2))
	const head = [
		'protocol',
		'n',
		'err',
		'ttft p50',
		'ttft p99',
		'full p50',
		'full p99',
		'full ×http',
	]
	const lines = rows.map((r) => [
		r.name,
		String(r.n),
		String(r.errors),
		f(r.ttftP50),
		f(r.ttftP99),
		f(r.fullP50),
		f(r.fullP99),
		`${r.vsHttp.toFixed(2)}×`,
	])
	return grid(head, lines)
}
