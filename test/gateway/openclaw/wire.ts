// A raw OpenClaw protocol client for tests: opens `/v1/gateway` through the Worker's entry point
// and collects frames, so every error path can be driven frame by frame.
import { call } from '../../helpers'
import { STATE_WAIT_MS } from '../../timeouts'

export interface Frame {
	type: 'res' | 'event'
	id?: string
	ok?: boolean
	payload?: Record<string, unknown>
	error?: { code: string; message: string; details?: Record<string, unknown> }
	event?: string
	seq?: number
}

export interface Wire {
	ws: WebSocket
	frames: Frame[]
	closed: Promise<{ code: number; reason: string }>
	send(frame: unknown): void
	/** Waits until a frame matches (by default as long as any wait for state). */
	next(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>
	request(method: string, params?: unknown): Promise<Frame>
}

let ids = 0

export async function openWire(path = '/v1/gateway', headers: HeadersInit = {}): Promise<Wire> {
	const res = await call(path, { headers: { upgrade: 'websocket', ...headers } })
	if (res.status !== 101 || !res.webSocket) throw new Error(`no upgrade: ${res.status}`)
	const ws = res.webSocket
	ws.accept()
	const frames: Frame[] = []
	const waiters = new Set<() => void>()
	ws.addEventListener('message', (m) => {
		frames.push(JSON.parse(typeof m.data === 'string' ? m.data : '') as Frame)
		for (const w of [...waiters]) w()
	})
	const closed = new Promise<{ code: number; reason: string }>((resolve) => {
		ws.addEventListener('close', (e) => {
			resolve({ code: e.code, reason: e.reason })
			for (const w of [...waiters]) w()
		})
	})
	const next = (pred: (f: Frame) => boolean, timeoutMs = STATE_WAIT_MS) =>
		new Promise<Frame>((resolve, reject) => {
			const check = () => {
				const found = frames.find(pred)
				if (!found) return
				waiters.delete(check)
				clearTimeout(timer)
				resolve(found)
			}
			const timer = setTimeout(() => {
				waiters.delete(check)
				reject(new Error(`no matching frame; got ${JSON.stringify(frames).slice(0, 2_000)}`))
			}, timeoutMs)
			waiters.add(check)
			check()
		})
	const send = (frame: unknown) =>
		ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
	return {
		ws,
		frames,
		closed,
		send,
		next,
		request(method, params = {}) {
			const id = `t${++ids}`
			send({ type: 'req', id, method, params })
			return next((f) => f.type === 'res' && f.id === id)
		},
	}
}

export const connectParams = (token: string, extra: Record<string, unknown> = {}) => ({
	minProtocol: 4,
	maxProtocol: 4,
	client: { id: 'test-client', version: '1.0.0', platform: 'test', mode: 'operator' },
	role: 'operator',
	scopes: ['operator.read', 'operator.write', 'operator.approvals'],
	auth: { token },
	...extra,
})

/** Opens a socket and completes the handshake. */
export async function connected(token: string, extra: Record<string, unknown> = {}): Promise<Wire> {
	const wire = await openWire()
	await wire.next((f) => f.event === 'connect.challenge')
	const hello = await wire.request('connect', connectParams(token, extra))
	if (!hello.ok) throw new Error(`connect failed: ${JSON.stringify(hello.error)}`)
	return wire
}
