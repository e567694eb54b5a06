// The OpenClaw connection's logic on an in-memory host (storage, alarms, the socket's sends and
// closes), with a clock the test moves: what the connection Durable Object gives it, without one.
import { OpenClawConnection } from '../../src/gateway/openclaw/connection'
import { silentLogger } from './logs'

/** The connection logic on an in-memory host, with a clock the test moves. */
export function fakeHost(environment: Env, connId = 'c'.repeat(64)) {
	const store = new Map<string, unknown>()
	const sent: string[] = []
	const closes: [number, string][] = []
	const alarms: number[] = []
	const clock = { now: Date.now() }
	const conn = new OpenClawConnection({
		env: environment,
		connId,
		send: (t) => {
			sent.push(t)
			return true
		},
		close: (code, reason) => {
			closes.push([code, reason])
		},
		kv: {
			get: <T>(k: string) => store.get(k) as T | undefined,
			put: (k, v) => {
				store.set(k, v)
			},
			delete: (k) => store.delete(k),
			list: <T>({ prefix = '' } = {}) =>
				[...store].filter(([k]) => k.startsWith(prefix)) as [string, T][],
		},
		setAlarm: (at) => {
			alarms.push(at)
		},
		deleteAll: async () => store.clear(),
		now: () => clock.now,
		logger: silentLogger(),
		waitUntil: () => {},
	})
	return { conn, sent, closes, alarms, clock }
}
