// The OpenClaw handshake, server side: the `connect` request (protocol range, role, token) and its
// `hello-ok`. It obeys the failed-authentication limit of HTTP (../lockout.ts): failed attempts are
// audited and counted per IP, and a locked-out IP is refused whatever it sends.
import { PLATFORM_CHAIN } from '../../security/audit'
import { appendThroughChain } from '../audit'
import { identifyToken, TENANT_DISABLED } from '../identity'
import { LOCKOUT_MS, lockedUntil, lockOut, overFailureLimit } from '../lockout'
import { VERSION } from '../routes/health'
import {
	type ErrorShape,
	invalid,
	protocolMismatch,
	REFUSED,
	rateLimited,
	roleUnsupported,
	tenantDisabled,
	tokenRejected,
} from './errors'
import type { Challenged, Connected, ConnectionHost, State } from './host'
import { methodNames } from './methods/index'
import {
	CLOSE,
	ConnectParams,
	MAX_BUFFERED_BYTES,
	MAX_PAYLOAD_BYTES,
	PROTOCOL_VERSION,
	type RequestFrame,
	resError,
	TICK_INTERVAL_MS,
} from './protocol'
import { grantScopes } from './scopes'

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

/**
 * Server capabilities `hello-ok.features.capabilities` announces: `models.list` publishes the
 * model catalog (`openclaw models list` refuses a gateway without it).
 */
export const CAPABILITIES = ['published-model-catalog'] as const

/**
 * Answers the first request of a challenged socket. Returns the connected state (for the
 * connection to store and greet) when `connect` succeeds; otherwise the refusal has been sent and,
 * unless a `connect` is merely in progress already, the socket closed.
 */
export async function handshake(
	h: ConnectionHost,
	state: Challenged,
	frame: RequestFrame,
): Promise<Connected | undefined> {
	const refuse = (error: ErrorShape, reason: string, code: number = CLOSE.policy) => {
		h.send(resError(frame.id, error))
		h.close(code, reason)
		return undefined
	}
	if (frame.method !== 'connect') return refuse(REFUSED.connectRequired, 'connect required')
	if (state.phase === 'connecting') {
		h.send(resError(frame.id, REFUSED.connectInProgress))
		return undefined
	}
	h.kv.put<State>('state', { ...state, phase: 'connecting' })
	const parsed = ConnectParams.safeParse(frame.params)
	if (!parsed.success) return refuse(invalid(parsed.error, 'connect params'), 'invalid connect')
	const p = parsed.data
	if (p.minProtocol > PROTOCOL_VERSION || p.maxProtocol < PROTOCOL_VERSION) {
		return refuse(
			protocolMismatch(PROTOCOL_VERSION, p.minProtocol, p.maxProtocol),
			'protocol mismatch',
			CLOSE.protocol,
		)
	}
	if (p.role !== undefined && p.role !== 'operator') {
		return refuse(roleUnsupported(p.role), 'role unsupported')
	}
	// An IP over the failed-authentication limit is refused with any credential, as on HTTP.
	const ip = state.meta.ip
	let until: number | undefined
	try {
		until = ip ? await lockedUntil(h.env, ip) : undefined
	} catch (error) {
		// Without the lockout record no credential is checked: refused, retryable.
		h.logger.error('gateway.lockout_unavailable', { error })
		return refuse(REFUSED.authUnavailable, 'authentication unavailable')
	}
	if (until !== undefined) {
		h.logger.warn('gateway.auth_locked_out', {})
		return refuse(rateLimited(until - h.now()), 'too many failed authentication attempts')
	}
	const token = p.auth?.token ?? p.auth?.password
	const verdict = token
		? await identifyToken(h.env, token, {
				adminTenant: state.meta.tenant,
				waitUntil: (promise) => h.waitUntil(promise),
			})
		: ({ ok: false, reason: 'missing_token' } as const)
	if (!verdict.ok && verdict.reason === TENANT_DISABLED) {
		// A valid credential, not a guess: refused without counting as a failed attempt (as HTTP).
		h.logger.warn('auth.tenant_disabled', { tenant: verdict.tenantId })
		return refuse(tenantDisabled(verdict.tenantId), 'tenant disabled')
	}
	if (!verdict.ok) {
		const tenantId = 'tenantId' in verdict ? verdict.tenantId : undefined
		if (await authFailed(h, state, verdict.reason, tenantId)) {
			return refuse(rateLimited(LOCKOUT_MS), 'too many failed authentication attempts')
		}
		return refuse(tokenRejected(Boolean(token)), 'unauthorized')
	}
	return {
		phase: 'connected',
		principal: verdict.principal,
		scopes: grantScopes(verdict.principal.role, p.scopes),
		client: {
			id: p.client.id,
			...(p.client.version !== undefined && { version: p.client.version }),
			...(p.client.platform !== undefined && { platform: p.client.platform }),
			...(p.client.mode !== undefined && { mode: p.client.mode }),
		},
		connectedAt: h.now(),
		meta: state.meta,
	}
}

/** The payload of `connect`'s answer: what this gateway serves and what the client was granted. */
export function helloOk(h: ConnectionHost, s: Connected) {
	const now = h.now()
	return {
		type: 'hello-ok',
		protocol: PROTOCOL_VERSION,
		server: { version: VERSION, connId: h.connId },
		features: { methods: methodNames(), events: [...EVENTS], capabilities: [...CAPABILITIES] },
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
async function authFailed(
	h: ConnectionHost,
	state: Challenged,
	reason: string,
	tenantId: string | undefined,
): Promise<boolean> {
	h.logger.warn('gateway.auth_failed', { reason })
	h.waitUntil(
		appendThroughChain(h.env, {
			tenantId: tenantId ?? PLATFORM_CHAIN,
			actor: 'anonymous',
			action: 'auth.failed',
			outcome: 'failure',
			requestId: state.meta.requestId,
			...(state.meta.traceId && { traceId: state.meta.traceId }),
			data: { reason, surface: 'openclaw', ...(state.meta.ip ? { ip: state.meta.ip } : {}) },
		}).catch(() => {}),
	)
	const { ip } = state.meta
	const logged = (event: string) => (error: unknown) => {
		h.logger.error(event, { error })
		return false
	}
	const over = await overFailureLimit(h.env, ip).catch(logged('gateway.auth_limit_failed'))
	if (over && ip) {
		await lockOut(h.env, ip, h.now() + LOCKOUT_MS).catch(logged('gateway.lockout_failed'))
	}
	return over
}
