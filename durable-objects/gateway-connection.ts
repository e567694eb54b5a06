// GatewayConnection: one Durable Object per OpenClaw gateway WebSocket. It holds the socket with
// the hibernation API, so an idle connection costs nothing between frames; its state lives in the
// object's own storage (src/gateway/openclaw/connection.ts). It follows lanes as a follower of
// kind `openclaw` (docs/architecture.md, "Followers"): they push their events to it over RPC
// (`laneEvents`), so one socket can span many sessions without any of them staying awake. An
// alarm per tick interval sends the keepalive `tick` clients expect. The protocol's code loads with
// the object's first event, not with the isolate.
import { DurableObject } from 'cloudflare:workers'
import type { OpenClawConnection } from '../src/gateway/openclaw/connection'
import type { RelayTarget } from '../src/lanes/relays'
import type { LaneEvent } from '../src/lanes/types'
import { loggerFromEnv } from '../src/observability/logger'
import { traceIdOf } from '../src/observability/trace'

export class GatewayConnection extends DurableObject<Env> implements RelayTarget {
	#connection: Promise<OpenClawConnection> | undefined

	/** The connection's logic, built on first use (one build for events that race to it). */
	get #conn(): Promise<OpenClawConnection> {
		this.#connection ??= import('../src/gateway/openclaw/connection').then((m) =>
			this.#build(m.OpenClawConnection),
		)
		return this.#connection
	}

	#build(Connection: typeof OpenClawConnection): OpenClawConnection {
		const { ctx, env } = this
		const socket = () => ctx.getWebSockets()[0]
		return new Connection({
			env,
			connId: ctx.id.toString(),
			send: (text) => {
				const ws = socket()
				if (!ws) return false
				try {
					ws.send(text)
					return true
				} catch {
					return false
				}
			},
			close: (code, reason) => {
				try {
					socket()?.close(code, reason.slice(0, 120))
				} catch {}
			},
			kv: ctx.storage.kv,
			setAlarm: (at) => void ctx.storage.setAlarm(at),
			deleteAll: async () => {
				await ctx.storage.deleteAlarm()
				await ctx.storage.deleteAll()
			},
			now: Date.now,
			logger: loggerFromEnv(env, { gatewayConnection: ctx.id.toString().slice(0, 12) }),
			waitUntil: (p) => ctx.waitUntil(p),
		})
	}

	override async fetch(request: Request): Promise<Response> {
		if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
			return new Response('expected a websocket upgrade', { status: 426 })
		}
		const conn = await this.#conn
		const { 0: client, 1: server } = new WebSocketPair()
		this.ctx.acceptWebSocket(server)
		const traceId = traceIdOf(request.headers.get('traceparent'))
		conn.open({
			tenant: request.headers.get('x-edgeclaw-tenant') ?? 'default',
			requestId: request.headers.get('x-request-id') ?? crypto.randomUUID(),
			...(traceId && { traceId }),
			...(request.headers.get('x-client-ip') && {
				ip: request.headers.get('x-client-ip') as string,
			}),
		})
		return new Response(null, { status: 101, webSocket: client })
	}

	override async webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		return (await this.#conn).receive(message)
	}

	override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
		try {
			ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closing')
		} catch {}
		await (await this.#conn).closed()
	}

	override async webSocketError(): Promise<void> {
		await (await this.#conn).closed()
	}

	override async alarm(): Promise<void> {
		return (await this.#conn).alarm()
	}

	async laneEvents(lane: string, events: LaneEvent[]): Promise<boolean> {
		return (await this.#conn).laneEvents(lane, events)
	}

	async laneClosed(lane: string, reason: string): Promise<void> {
		;(await this.#conn).laneClosed(lane, reason)
	}

	/** A device pairing event of the tenant (TenantPairing); false = stop sending to me. */
	async pairingEvent(event: string, payload: Record<string, unknown>): Promise<boolean> {
		return (await this.#conn).pairingEvent(event, payload)
	}
}
