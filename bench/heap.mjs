// The V8 inspector of a Worker under `wrangler dev`: a session on its first target (every Durable
// Object of the Worker shares that isolate), and the live JavaScript heap read through it — a heap
// snapshot forces a full garbage collection, after which `Runtime.getHeapUsage` is what the
// isolate still holds. The snapshot's chunks are discarded. The `profile` phase takes CPU
// profiles through the same session.

/**
 * A Chrome DevTools protocol session with the Worker's isolate.
 * @param {number} inspectorPort the `--inspector-port` of `wrangler dev`
 * @returns {Promise<{ call: (method: string, params?: object) => Promise<any>, close: () => void }>}
 */
export async function inspectorSession(inspectorPort) {
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
	/** @type {Map<number, (frame: any) => void>} */
	const pending = new Map()
	ws.addEventListener('message', (m) => {
		const frame = JSON.parse(String(m.data))
		if (typeof frame.id === 'number') pending.get(frame.id)?.(frame)
	})
	await new Promise((resolve, reject) => {
		ws.addEventListener('open', resolve, { once: true })
		ws.addEventListener('error', reject, { once: true })
	})
	let next = 0
	return {
		call: (method, params = {}) =>
			new Promise((resolve, reject) => {
				const id = ++next
				const timer = setTimeout(() => reject(new Error(`inspector: ${method} timed out`)), 120_000)
				pending.set(id, (frame) => {
					clearTimeout(timer)
					pending.delete(id)
					if (frame.error) reject(new Error(`inspector: ${method}: ${frame.error.message}`))
					else resolve(frame.result)
				})
				ws.send(JSON.stringify({ id, method, params }))
			}),
		close: () => ws.close(),
	}
}

/**
 * @param {number} inspectorPort the `--inspector-port` of `wrangler dev`
 * @returns {Promise<number>} MiB used after a full GC
 */
export async function liveHeapMiB(inspectorPort) {
	const session = await inspectorSession(inspectorPort)
	try {
		await session.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
		const usage = /** @type {{ usedSize: number }} */ (await session.call('Runtime.getHeapUsage'))
		return usage.usedSize / 2 ** 20
	} finally {
		session.close()
	}
}
