// TenantPairing: one per tenant — the OpenClaw connections that hold `operator.pairing` and so
// get the tenant's device pairing events (`device.pair.requested`, `device.pair.resolved`). A
// connection registers when it connects with that scope and leaves when its socket closes; a
// connection that no longer answers (socket gone, scope or credential lost) is dropped on the next
// event. OpenClaw broadcasts these to every such connection; lanes cannot, being per session.
import { DurableObject } from 'cloudflare:workers'
import { loggerFromEnv } from '../src/observability/logger'

/** Most connections one tenant's pairing events go to; past it the oldest registration goes. */
const MAX_WATCHERS = 256

export class TenantPairing extends DurableObject<Env> {
	watch(connId: string): void {
		const kv = this.ctx.storage.kv
		kv.put(`watch:${connId}`, Date.now())
		const all = [...kv.list<number>({ prefix: 'watch:' })]
		if (all.length <= MAX_WATCHERS) return
		all.sort((a, b) => a[1] - b[1])
		for (const [key] of all.slice(0, all.length - MAX_WATCHERS)) kv.delete(key)
	}

	unwatch(connId: string): void {
		this.ctx.storage.kv.delete(`watch:${connId}`)
	}

	/** Sends the event to every registered connection; those that refuse or fail are dropped. */
	async publish(event: string, payload: Record<string, unknown>): Promise<number> {
		const kv = this.ctx.storage.kv
		const ids = [...kv.list<number>({ prefix: 'watch:' })].map(([key]) => key.slice(6))
		const ns = this.env.GATEWAY_CONNECTION
		const answers = await Promise.all(
			ids.map((id) =>
				ns
					.get(ns.idFromString(id))
					.pairingEvent(event, payload)
					.catch((error: unknown) => {
						loggerFromEnv(this.env, {}).warn('pairing.event_failed', { error })
						return false
					}),
			),
		)
		let sent = 0
		answers.forEach((ok, i) => {
			if (ok) sent++
			else kv.delete(`watch:${ids[i]}`)
		})
		return sent
	}
}
