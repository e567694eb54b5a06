// One OpenClaw Gateway protocol connection, server side: challenge → connect (protocol range,
// token, role, scopes) → hello-ok → requests, with ticks and lane events pushed as `event`
// frames. Everything it must remember lives in the host's key-value storage, not in memory,
// so the object holding the socket can hibernate between frames; only in-flight text of a
// streaming answer is kept in memory (it is re-sent whole in the final event anyway).
// `connect` obeys the failed-authentication limit of HTTP (../lockout.ts), and the credential is
// re-checked on every request, every batch of lane events and every tick.
import type { LaneEvent } from '../../lanes/types'
import type { Logger } from '../../observability/logger'
import { actorOf, appendThroughChain } from '../audit'
import type { Principal } from '../context'
import { identifyToken, stillValid, TENANT_DISABLED } from '../identity'
import { LOCKOUT_MS, lockedUntil, lockOut, overFailureLimit } from '../lockout'
import { ProblemError } from '../problem'
import { VERSION } from '../routes/health'
import { asFollower, type FollowState, laneFrames, type RunTrack } from './events'
import { type KeyValue, METHODS, type MethodContext, methodNames } from './methods/index'
import {
	CLOSE,
	ConnectParams,
	type ErrorShape,
	eventFrame,
	HANDSHAKE_TIMEOUT_MS,
	invalid,
	MAX_BUFFERED_BYTES,
	MAX_PAYLOAD_BYTES,
	MAX_PREAUTH_BYTES,
	MethodError,
	PROTOCOL_VERSION,
	RequestFrame,
	res,
	resError,
	TICK_INTERVAL_MS,
} from './protocol'
import { grantScopes, holds, type Scope } from './scopes'

/** Events a connection may emit that `hello-ok.features.events` lists. */
export const EVENTS = [
	'connect.challenge',
	'tick',
	'chat',
	'agent',
	'session.message',
	'sessions.changed',
	'exec.approval.requested',
	'exec.approval.resolved',
	'shutdown',
	'gateway.error',
] as const

/** OpenClaw's answer to a locked-out client: its clients wait and retry on AUTH_RATE_LIMITED. */
const rateLimited = (retryAfterMs: number): ErrorShape => ({
	code: 'INVALID_REQUEST',
	message: 'unauthorized: too many failed authentication attempts (retry later)',
	details: { code: 'AUTH_RATE_LIMITED', recommendedNextStep: 'wait_then_retry' },
	retryable: true,
	retryAfterMs: Math.max(1_000, Math.ceil(retryAfterMs)),
})

export interface ConnectionHost {
	env: Env
	/** This connection's id (the Durable Object id lanes relay to). */
	connId: string
	/** Sends one text frame; false when the socket is gone. */
	send(text: string): boolean
	close(code: number, reason: string): void
	kv: KeyValue
	setAlarm(at: number): void
	deleteAll(): Promise<void>
	now(): number
	logger: Logger
	waitUntil(promise: Promise<unknown>): void
}

export interface OpenMeta {
	ip?: string
	tenant: string
	requestId: string
}

interface Challenged {
	phase: 'challenged' | 'connecting'
	nonce: string
	ts: number
	openedAt: number
	meta: OpenMeta
}

export interface Connected {
	phase: 'connected'
	principal: Principal
	scopes: Scope[]
	client: { id: string; version?: string; platform?: string; mode?: string }
	connectedAt: number
	meta: OpenMeta
}

type State = Challenged | Connected

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
		if (state.phase !== 'connected') return this.#handshake(state, frame.data)
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

	/** The socket closed: stop following lanes and forget everything. */
	async closed(): Promise<void> {
		const follows = [...this.#h.kv.list<FollowState>({ prefix: 'follow:' })]
		await Promise.allSettled(
			follows.map(([key]) =>
				this.#h.env.SESSION_LANE.getByName(key.slice('follow:'.length)).unfollow(
					asFollower(this.#h.connId),
				),
			),
		)
		this.#runs.clear()
		await this.#h.deleteAll()
	}

	/**
	 * Events relayed by a followed lane. False tells the lane to stop (socket gone, not followed,
	 * credential no longer valid).
	 */
	async laneEvents(lane: string, events: LaneEvent[]): Promise<boolean> {
		const state = this.#state
		const follow = this.#h.kv.get<FollowState>(`follow:${lane}`)
		if (state?.phase !== 'connected' || !follow) return false
		if (!(await this.#alive(state))) return false
		if (!holds(state.scopes, 'operator.read')) return true
		const alias = (id: string) => this.#h.kv.get<string>(`alias:${id}`) ?? id
		for (const event of events) {
			for (const [name, payload] of laneFrames(follow, event, this.#runs, this.#h.now(), alias)) {
				if (!this.#event(name, payload)) return false
			}
			if (event.type === 'approval.requested' && typeof event.data.approvalId === 'string') {
				this.#h.kv.put(`approval:${event.data.approvalId}`, lane)
			}
		}
		return true
	}

	laneClosed(lane: string, reason: string): void {
		const follow = this.#h.kv.get<FollowState>(`follow:${lane}`)
		if (!follow) return
		this.#h.kv.delete(`follow:${lane}`)
		this.#event('sessions.changed', { sessionKey: follow.key, reason, deleted: true })
	}

	// ── handshake ───────────────────────────────────────────────────────────────────────────────

	async #handshake(state: Challenged, frame: RequestFrame): Promise<void> {
		if (frame.method !== 'connect') {
			this.#h.send(
				resError(frame.id, {
					code: 'INVALID_REQUEST',
					message: 'the first request must be "connect"',
					details: { code: 'CONNECT_REQUIRED' },
				}),
			)
			return this.#h.close(CLOSE.policy, 'connect required')
		}
		if (state.phase === 'connecting') {
			this.#h.send(
				resError(frame.id, { code: 'INVALID_REQUEST', message: 'connect already in progress' }),
			)
			return
		}
		this.#h.kv.put<State>('state', { ...state, phase: 'connecting' })
		const refuse = (error: ErrorShape, reason: string, code: number = CLOSE.policy) => {
			this.#h.send(resError(frame.id, error))
			this.#h.close(code, reason)
		}
		const parsed = ConnectParams.safeParse(frame.params)
		if (!parsed.success)
			return refuse(invalid(parsed.error, 'connect params').shape, 'invalid connect')
		const p = parsed.data
		if (p.minProtocol > PROTOCOL_VERSION || p.maxProtocol < PROTOCOL_VERSION) {
			return refuse(
				{
					code: 'INVALID_REQUEST',
					message: `protocol mismatch: this gateway speaks ${PROTOCOL_VERSION}, the client ${p.minProtocol}-${p.maxProtocol}`,
					details: {
						code: 'PROTOCOL_MISMATCH',
						clientMinProtocol: p.minProtocol,
						clientMaxProtocol: p.maxProtocol,
						expectedProtocol: PROTOCOL_VERSION,
					},
				},
				'protocol mismatch',
				CLOSE.protocol,
			)
		}
		if (p.role !== undefined && p.role !== 'operator') {
			return refuse(
				{
					code: 'INVALID_REQUEST',
					message: `role "${p.role}" is not served here; edgeclaw accepts operator clients`,
					details: { code: 'ROLE_UNSUPPORTED', role: p.role },
				},
				'role unsupported',
			)
		}
		// An IP over the failed-authentication limit is refused with any credential, as on HTTP.
		const ip = state.meta.ip
		let until: number | undefined
		try {
			until = ip ? await lockedUntil(this.#h.env, ip) : undefined
		} catch (error) {
			// Without the lockout record no credential is checked: refused, retryable.
			this.#h.logger.error('gateway.lockout_unavailable', { error })
			return refuse(
				{ code: 'UNAVAILABLE', message: 'authentication is unavailable; retry', retryable: true },
				'authentication unavailable',
			)
		}
		if (until !== undefined) {
			this.#h.logger.warn('gateway.auth_locked_out', {})
			return refuse(rateLimited(until - this.#h.now()), 'too many failed authentication attempts')
		}
		const token = p.auth?.token ?? p.auth?.password
		const verdict = token
			? await identifyToken(this.#h.env, token, {
					adminTenant: state.meta.tenant,
					waitUntil: (promise) => this.#h.waitUntil(promise),
				})
			: ({ ok: false, reason: 'missing_token' } as const)
		if (!verdict.ok && verdict.reason === TENANT_DISABLED) {
			// A valid credential, not a guess: refused without counting as a failed attempt (as HTTP).
			this.#h.logger.warn('auth.tenant_disabled', { tenant: verdict.tenantId })
			return refuse(
				{
					code: 'FORBIDDEN',
					message: `forbidden: tenant "${verdict.tenantId}" is disabled`,
					details: { code: 'TENANT_DISABLED' },
				},
				'tenant disabled',
			)
		}
		if (!verdict.ok) {
			const over = await this.#authFailed(
				state,
				verdict.reason,
				'tenantId' in verdict ? verdict.tenantId : undefined,
			)
			if (over) {
				return refuse(rateLimited(LOCKOUT_MS), 'too many failed authentication attempts')
			}
			return refuse(
				{
					code: 'INVALID_REQUEST',
					message: token
						? 'unauthorized: the token is not valid'
						: 'unauthorized: auth.token is required',
					details: { code: token ? 'AUTH_TOKEN_MISMATCH' : 'AUTH_TOKEN_MISSING' },
				},
				'unauthorized',
			)
		}
		const now = this.#h.now()
		const connected: Connected = {
			phase: 'connected',
			principal: verdict.principal,
			scopes: grantScopes(verdict.principal.role, p.scopes),
			client: {
				id: p.client.id,
				...(p.client.version !== undefined && { version: p.client.version }),
				...(p.client.platform !== undefined && { platform: p.client.platform }),
				...(p.client.mode !== undefined && { mode: p.client.mode }),
			},
			connectedAt: now,
			meta: state.meta,
		}
		this.#h.kv.put<State>('state', connected)
		this.#h.send(res(frame.id, this.#hello(connected)))
		this.#scheduleAlarm(connected, now)
		this.#audit(connected.principal, 'gateway.connected', 'success', {
			client: connected.client.id,
			scopes: connected.scopes,
		})
	}

	#hello(s: Connected) {
		const now = this.#h.now()
		return {
			type: 'hello-ok',
			protocol: PROTOCOL_VERSION,
			server: { version: VERSION, connId: this.#h.connId },
			features: { methods: methodNames(), events: [...EVENTS] },
			snapshot: {
				presence: [],
				health: {},
				stateVersion: { presence: 0, health: 0 },
				uptimeMs: now - s.connectedAt,
				sessionDefaults: {
					defaultAgentId: 'main',
					mainKey: 'main',
					mainSessionKey: 'agent:main:main',
				},
			},
			auth: { role: 'operator', scopes: s.scopes },
			policy: {
				maxPayload: MAX_PAYLOAD_BYTES,
				maxBufferedBytes: MAX_BUFFERED_BYTES,
				tickIntervalMs: TICK_INTERVAL_MS,
			},
		}
	}

	/**
	 * Audits and counts a failed `connect` as HTTP does; true when it put the IP over the limit,
	 * which then locks the IP out for every connection.
	 */
	async #authFailed(
		state: Challenged,
		reason: string,
		tenantId: string | undefined,
	): Promise<boolean> {
		this.#h.logger.warn('gateway.auth_failed', { reason })
		this.#h.waitUntil(
			appendThroughChain(this.#h.env, {
				tenantId: tenantId ?? '_platform',
				actor: 'anonymous',
				action: 'auth.failed',
				outcome: 'failure',
				requestId: state.meta.requestId,
				data: { reason, surface: 'openclaw', ...(state.meta.ip ? { ip: state.meta.ip } : {}) },
			}).catch(() => {}),
		)
		const { ip } = state.meta
		const logged = (event: string) => (error: unknown) => {
			this.#h.logger.error(event, { error })
			return false
		}
		const over = await overFailureLimit(this.#h.env, ip).catch(logged('gateway.auth_limit_failed'))
		if (over && ip) {
			await lockOut(this.#h.env, ip, this.#h.now() + LOCKOUT_MS).catch(
				logged('gateway.lockout_failed'),
			)
		}
		return over
	}

	// ── requests ────────────────────────────────────────────────────────────────────────────────

	async #request(state: Connected, frame: RequestFrame): Promise<void> {
		const fail = (error: ErrorShape) => this.#h.send(resError(frame.id, error))
		let valid: boolean
		try {
			valid = await stillValid(this.#h.env, state.principal, this.#h.now())
		} catch (error) {
			return void fail(this.#errorShape(error, frame.method))
		}
		if (!valid) {
			fail({
				code: 'INVALID_REQUEST',
				message: 'unauthorized: the credentials were revoked or have expired',
				details: { code: 'AUTH_UNAUTHORIZED' },
			})
			return this.#revoked()
		}
		if (frame.method === 'connect') {
			return void fail({ code: 'INVALID_REQUEST', message: 'already connected' })
		}
		const method = METHODS.get(frame.method)
		if (!method) {
			return void fail({
				code: 'INVALID_REQUEST',
				message: `unknown method: ${frame.method}`,
				details: { code: 'UNKNOWN_METHOD', method: frame.method },
			})
		}
		if (!holds(state.scopes, method.scope)) {
			return void fail({
				code: 'FORBIDDEN',
				message: `missing scope: ${method.scope}`,
				details: {
					code: 'MISSING_SCOPE',
					missingScope: method.scope,
					requiredScopes: [method.scope],
				},
			})
		}
		const params = method.params.safeParse(frame.params ?? {})
		if (!params.success) return void fail(invalid(params.error, `${frame.method} params`).shape)
		let later: Promise<unknown> | undefined
		const ctx = this.#context(state, (p) => {
			later = p
		})
		try {
			const payload = await method.handle(ctx, params.data as never)
			this.#h.send(res(frame.id, payload))
		} catch (error) {
			return void fail(this.#errorShape(error, frame.method))
		}
		if (later) {
			// The second response of a two-phase method (see `agent`).
			try {
				this.#h.send(res(frame.id, await later))
			} catch (error) {
				fail(this.#errorShape(error, frame.method))
			}
		}
	}

	#context(state: Connected, respondLater: (p: Promise<unknown>) => void): MethodContext {
		return {
			respondLater,
			env: this.#h.env,
			connId: this.#h.connId,
			principal: state.principal,
			scopes: state.scopes,
			connectedAt: state.connectedAt,
			now: () => this.#h.now(),
			kv: this.#h.kv,
			logger: this.#h.logger,
			runs: this.#runs,
			emit: (event, payload) => this.#event(event, payload),
			audit: (action, target, data, outcome = 'success') =>
				this.#audit(state.principal, action, outcome, data, target),
		}
	}

	#errorShape(error: unknown, method: string): ErrorShape {
		if (error instanceof MethodError) return error.shape
		if (error instanceof ProblemError) {
			const retry = Number(error.headers['retry-after'])
			const retryAfterMs = Number.isFinite(retry) && retry > 0 ? retry * 1000 : undefined
			const details = { code: error.code.toUpperCase() }
			if (error.status === 403) return { code: 'FORBIDDEN', message: error.message, details }
			if (error.status === 429 || error.status >= 500) {
				return {
					code: 'UNAVAILABLE',
					message: error.message,
					details,
					retryable: true,
					...(retryAfterMs !== undefined && { retryAfterMs }),
				}
			}
			return { code: 'INVALID_REQUEST', message: error.message, details }
		}
		this.#h.logger.error('gateway.method_failed', { method, error })
		return { code: 'UNAVAILABLE', message: 'internal error; retry', retryable: true }
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
		if (id !== undefined) {
			this.#h.send(
				resError(id, { code: 'INVALID_REQUEST', message, details: { code: 'INVALID_FRAME' } }),
			)
		}
		// Before the handshake a client that cannot frame a request is not let in.
		if (state.phase !== 'connected') this.#h.close(CLOSE.policy, message)
		else if (id === undefined) {
			this.#event('gateway.error', {
				code: 'INVALID_REQUEST',
				message,
				details: { code: 'INVALID_FRAME' },
			})
		}
	}

	#audit(
		p: Principal,
		action: string,
		outcome: 'success' | 'failure' | 'deny',
		data: Record<string, unknown>,
		target?: string,
	): void {
		const state = this.#state
		this.#h.waitUntil(
			appendThroughChain(this.#h.env, {
				tenantId: p.tenantId,
				actor: actorOf(p),
				action,
				outcome,
				requestId: state?.meta.requestId ?? 'gateway',
				...(target !== undefined && { target }),
				data: { surface: 'openclaw', ...data },
			}).catch((error: unknown) => this.#h.logger.error('audit.append_failed', { action, error })),
		)
	}
}
