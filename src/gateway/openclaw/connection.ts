// One OpenClaw Gateway protocol connection, server side: challenge → connect (handshake.ts) →
// requests, with ticks and the events of followed lanes (follows.ts) pushed as `event` frames.
// Everything it must remember lives in the host's key-value storage, not in memory, so the object
// holding the socket can hibernate between frames; only in-flight text of a streaming answer is
// kept in memory (it is re-sent whole in the final event anyway). The credential is re-checked on
// every request, every batch of lane events and every tick. A socket lives long and carries
// unrelated work, so each request starts a W3C trace of its own (its logs, runs and audit rows).
import type { LaneEvent } from '../../lanes/types'
import { telemetryOn } from '../../observability/metrics'
import { startTrace, type TraceContext } from '../../observability/trace'
import type { Principal } from '../context'
import { stillValid } from '../identity'
import { auditRow } from './audit-rows'
import {
	type ErrorShape,
	invalid,
	invalidFrame,
	methodFailure,
	missingScope,
	REFUSED,
	unknownMethod,
} from './errors'
import { laneFrames, type RunTrack } from './events'
import { followed, forget, subscribedToSessions, unfollowAll } from './follows'
import { handshake, helloOk } from './handshake'
import type { Challenged, Connected, ConnectionHost, OpenMeta, State } from './host'
import { METHODS, type MethodContext } from './methods/index'
import { watchPairing } from './pairing-events'
import {
	CLOSE,
	eventFrame,
	HANDSHAKE_TIMEOUT_MS,
	MAX_PAYLOAD_BYTES,
	MAX_PREAUTH_BYTES,
	RequestFrame,
	res,
	resError,
	TICK_INTERVAL_MS,
} from './protocol'
import { holds } from './scopes'

export type { ConnectionHost, OpenMeta } from './host'

const decoder = new TextDecoder()

export class OpenClawConnection {
	readonly #h: ConnectionHost
	/** Streaming state of runs in flight (text so far, chat seq); rebuilt as needed. */
	readonly #runs = new Map<string, RunTrack>()

	constructor(host: ConnectionHost) {
		this.#h = host
	}

	get #state(): State | undefined {
		return this.#h.kv.get<State>('state')
	}

	/** A socket was accepted: challenge it and give it a deadline to connect. */
	open(meta: OpenMeta): void {
		const now = this.#h.now()
		const nonce = crypto.randomUUID()
		this.#h.kv.put<State>('state', { phase: 'challenged', nonce, ts: now, openedAt: now, meta })
		this.#h.send(eventFrame('connect.challenge', { nonce, ts: now }))
		this.#h.setAlarm(now + HANDSHAKE_TIMEOUT_MS)
	}

	async receive(raw: string | ArrayBuffer): Promise<void> {
		const state = this.#state
		if (!state) return this.#h.close(CLOSE.policy, 'no connection state')
		const limit = state.phase === 'connected' ? MAX_PAYLOAD_BYTES : MAX_PREAUTH_BYTES
		const size = typeof raw === 'string' ? raw.length : raw.byteLength
		// `length` counts UTF-16 units; a frame near the limit is measured exactly.
		const bytes =
			size * 3 > limit && typeof raw === 'string' ? new TextEncoder().encode(raw).byteLength : size
		if (bytes > limit) {
			return this.#h.close(CLOSE.tooBig, `frame of ${bytes} bytes exceeds ${limit}`)
		}
		const text = typeof raw === 'string' ? raw : decoder.decode(raw)
		let json: unknown
		try {
			json = JSON.parse(text)
		} catch {
			return this.#badFrame(state, undefined, 'frame is not valid JSON')
		}
		const frame = RequestFrame.safeParse(json)
		if (!frame.success) {
			const id = (json as { id?: unknown } | null)?.id
			return this.#badFrame(
				state,
				typeof id === 'string' ? id : undefined,
				'frame is not a request ({type:"req", id, method, params})',
			)
		}
		if (state.phase !== 'connected') return this.#connect(state, frame.data)
		return this.#request(state, frame.data)
	}

	/** Alarms: the handshake deadline, then one tick per interval (and a credential re-check). */
	async alarm(): Promise<void> {
		const state = this.#state
		if (!state) return
		const now = this.#h.now()
		if (state.phase !== 'connected') {
			return this.#h.close(CLOSE.policy, 'connect not completed in time')
		}
		if (!(await this.#alive(state))) return
		if (!this.#event('tick', { ts: now })) return
		this.#scheduleAlarm(state, now)
	}

	/** The socket closed: stop following lanes and pairing events, and forget everything. */
	async closed(): Promise<void> {
		const state = this.#state
		if (state?.phase === 'connected') await watchPairing(this.#h, state, false)
		await unfollowAll(this.#h)
		this.#runs.clear()
		await this.#h.deleteAll()
	}

	/**
	 * Events relayed by a followed lane. False tells the lane to stop (socket gone, not followed,
	 * credential no longer valid).
	 */
	async laneEvents(lane: string, events: LaneEvent[]): Promise<boolean> {
		const state = this.#state
		const follow = followed(this.#h.kv, lane)
		if (state?.phase !== 'connected' || !follow) return false
		if (!(await this.#alive(state))) return false
		if (!holds(state.scopes, 'operator.read')) return true
		const frameContext = {
			runs: this.#runs,
			now: this.#h.now(),
			aliasOf: (id: string) => this.#h.kv.get<string>(`alias:${id}`) ?? id,
			sessionEvents: subscribedToSessions(this.#h.kv),
		}
		for (const event of events) {
			for (const [name, payload] of laneFrames(follow, event, frameContext)) {
				if (!this.#event(name, payload)) return false
			}
			if (event.type === 'approval.requested' && typeof event.data.approvalId === 'string') {
				this.#h.kv.put(`approval:${event.data.approvalId}`, lane)
			}
		}
		return true
	}

	/**
	 * A device pairing event of the tenant. False tells TenantPairing to drop this connection
	 * (socket gone, credential dead, scope not held). A device connection without `operator.admin`
	 * hears only of its own device.
	 */
	async pairingEvent(event: string, payload: Record<string, unknown>): Promise<boolean> {
		const state = this.#state
		if (state?.phase !== 'connected' || !holds(state.scopes, 'operator.pairing')) return false
		if (!(await this.#alive(state))) return false
		const ownOnly = state.principal.kind === 'device' && !holds(state.scopes, 'operator.admin')
		if (ownOnly && payload.deviceId !== state.device?.id) return true
		return this.#event(event, payload)
	}

	laneClosed(lane: string, reason: string): void {
		const follow = followed(this.#h.kv, lane)
		if (!follow) return
		forget(this.#h.kv, lane)
		this.#event('sessions.changed', { sessionKey: follow.key, reason, deleted: true })
	}

	// ── handshake ───────────────────────────────────────────────────────────────────────────────

	async #connect(state: Challenged, frame: RequestFrame): Promise<void> {
		const result = await handshake(this.#h, state, frame)
		if (!result) return
		const connected = result.state
		this.#h.kv.put<State>('state', connected)
		this.#h.send(res(frame.id, helloOk(this.#h, connected, result.issued)))
		this.#scheduleAlarm(connected, connected.connectedAt)
		this.#h.waitUntil(watchPairing(this.#h, connected, true))
		this.#audit(connected.principal, 'gateway.connected', 'success', {
			client: connected.client.id,
			scopes: connected.scopes,
			...(connected.device && { deviceId: connected.device.id }),
			...(result.issued && { deviceTokenIssued: true }),
		})
	}

	// ── requests ────────────────────────────────────────────────────────────────────────────────

	async #request(state: Connected, frame: RequestFrame): Promise<void> {
		const trace = telemetryOn(this.#h.env) ? startTrace() : undefined
		const logger = trace ? this.#h.logger.child({ traceId: trace.traceId }) : this.#h.logger
		const fail = (error: ErrorShape) => this.#h.send(resError(frame.id, error))
		const failed = (error: unknown) => fail(methodFailure(error, frame.method, logger))
		let valid: boolean
		try {
			valid = await stillValid(this.#h.env, state.principal, this.#h.now())
		} catch (error) {
			return void failed(error)
		}
		if (!valid) {
			fail(REFUSED.revoked)
			return this.#revoked()
		}
		if (frame.method === 'connect') return void fail(REFUSED.alreadyConnected)
		const method = METHODS.get(frame.method)
		if (!method) return void fail(unknownMethod(frame.method))
		if (!holds(state.scopes, method.scope)) return void fail(missingScope(method.scope))
		const params = method.params.safeParse(frame.params ?? {})
		if (!params.success) return void fail(invalid(params.error, `${frame.method} params`))
		let later: Promise<unknown> | undefined
		const ctx = this.#context(state, trace, logger, (p) => {
			later = p
		})
		try {
			const payload = await method.handle(ctx, params.data as never)
			this.#h.send(res(frame.id, payload))
		} catch (error) {
			return void failed(error)
		}
		if (later) {
			// The second response of a two-phase method (see `agent`).
			try {
				this.#h.send(res(frame.id, await later))
			} catch (error) {
				failed(error)
			}
		}
	}

	#context(
		state: Connected,
		trace: TraceContext | undefined,
		logger: MethodContext['logger'],
		respondLater: (p: Promise<unknown>) => void,
	): MethodContext {
		return {
			respondLater,
			trace,
			env: this.#h.env,
			connId: this.#h.connId,
			principal: state.principal,
			scopes: state.scopes,
			...(state.device && { device: state.device }),
			connectedAt: state.connectedAt,
			now: () => this.#h.now(),
			kv: this.#h.kv,
			logger,
			runs: this.#runs,
			emit: (event, payload) => this.#event(event, payload),
			waitUntil: (promise) => this.#h.waitUntil(promise),
			audit: (action, target, data, outcome = 'success') =>
				this.#audit(state.principal, action, outcome, data, target, trace?.traceId),
		}
	}

	// ── helpers ─────────────────────────────────────────────────────────────────────────────────

	/** Sends an event with the connection's next seq (ticks carry none, as in OpenClaw). */
	#event(name: string, payload: unknown): boolean {
		if (name === 'tick') return this.#h.send(eventFrame(name, payload))
		const seq = (this.#h.kv.get<number>('seq') ?? 0) + 1
		this.#h.kv.put('seq', seq)
		return this.#h.send(eventFrame(name, payload, seq))
	}

	/**
	 * Re-checks the credential (through the identity cache: a revocation is seen within its 10 s,
	 * the HTTP bound); a dead one ends the connection with 4001.
	 */
	async #alive(state: Connected): Promise<boolean> {
		if (await stillValid(this.#h.env, state.principal, this.#h.now())) return true
		this.#revoked()
		return false
	}

	#revoked(): void {
		this.#event('shutdown', { reason: 'credentials revoked or expired' })
		this.#h.close(CLOSE.revoked, 'credentials revoked or expired')
	}

	/** The next tick, or a JWT's expiry when that comes first (the socket closes right then). */
	#scheduleAlarm(state: Connected, now: number): void {
		const expiry = state.principal.expiresAt
		const tick = now + TICK_INTERVAL_MS
		this.#h.setAlarm(expiry !== undefined && expiry > now ? Math.min(tick, expiry) : tick)
	}

	#badFrame(state: State, id: string | undefined, message: string): void {
		if (id !== undefined) this.#h.send(resError(id, invalidFrame(message)))
		// Before the handshake a client that cannot frame a request is not let in.
		if (state.phase !== 'connected') this.#h.close(CLOSE.policy, message)
		else if (id === undefined) this.#event('gateway.error', invalidFrame(message))
	}

	#audit(
		p: Principal,
		action: string,
		outcome: 'success' | 'failure' | 'deny',
		data: Record<string, unknown>,
		target?: string,
		traceId?: string,
	): void {
		const row = { action, outcome, data, ...(target !== undefined && { target }) }
		auditRow(this.#h, this.#state?.meta, p, { ...row, ...(traceId !== undefined && { traceId }) })
	}
}
