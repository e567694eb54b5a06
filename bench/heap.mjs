// The live JavaScript heap of a Worker under `wrangler dev`, read over its V8 inspector: a heap
// snapshot forces a full garbage collection, after which `Runtime.getHeapUsage` is what the
// Worker's isolate still holds (every Durable Object of the Worker shares that isolate). The
// snapshot's chunks are discarded.

/**
 * @param {number} inspectorPort the `--inspector-port` of `wrangler dev`
 * @returns {Promise<number>} MiB used after a full GC
 */
export async function liveHeapMiB(inspectorPort) {
	const targets = /** @type {{ webSocketDebuggerUrl: string }[]} */ (
		await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()
	)
	const target = targets[0]
	if (!target) throw new Error('no inspector target')
	// The inspector proxy admits local origins only (Node's WebSocket sends none by default).
	const ws = new WebSocket(
		target.webSocketDebuggerUrl,
		/** @type {any} */ ({ headers: { origin: 'http://localhost' } }),
	)
	/** @type {Map<number, (result: any) => void>} */
	const pending = new Map()
	ws.addEventListener('message', (m) => {
		const frame = JSON.parse(String(m.data))
		if (typeof frame.id === 'number') pending.get(frame.id)?.(frame.result)
	})
	await new Promise((resolve, reject) => {
		ws.addEventListener('open', resolve, { once: true })
		ws.addEventListener('error', reject, { once: true })
	})
	let next = 0
	/** @param {string} method @param {object} [params] @returns {Promise<any>} */
	const call = (method, params = {}) =>
		new Promise((resolve, reject) => {
			const id = ++next
			const timer = setTimeout(() => reject(new Error(`inspector: ${method} timed out`)), 120_000)
			pending.set(id, (result) => {
				clearTimeout(timer)
				resolve(result)
			})
			ws.send(JSON.stringify({ id, method, params }))
		})
	try {
		await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
		const usage = /** @type {{ usedSize: number }} */ (await call('Runtime.getHeapUsage'))
		return usage.usedSize / 2 ** 20
	} finally {
		ws.close()
	}
}
