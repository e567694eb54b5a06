import type { Principal } from '../context'
import { identifyToken, TENANT_DISABLED } from '../identity'
import { LOCKOUT_MS, lockedUntil } from '../lockout'
import { VERSION } from '../routes/health'
import { auditRow, authFailed } from './audit-rows'
import { DeviceBlock, deviceAuthCode, type SignedConnect, verifyDeviceProof } from './device-proof'
import {
	deviceAtConnect,
	type IssuedToken,
	identifyDevice,
	type ProvenDevice,
	parseDeviceToken,
} from './devices'
import {
	deviceIdentityRequired,
	deviceRefused,
	deviceTokenRejected,
	type ErrorShape,
	invalid,
	pairingRequired,
	protocolMismatch,
	REFUSED,
	rateLimited,
	roleUnsupported,
	tenantDisabled,
	tokenRejected,
} from './errors'
import type { Challenged, Connected, ConnectionHost, State } from './host'
import { methodNames } from './methods/index'
import { pairingRequested } from './pairing-events'
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
import { capScopes, grantScopes, type Scope } from './scopes'

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
	'device.pair.requested',
	'device.pair.resolved',
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
): Promise<{ state: Connected; issued?: IssuedToken } | undefined> {
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
	// A device token comes as `auth.deviceToken`, or as `auth.token` when it is all the client has.
	const presented = p.auth?.token ?? p.auth?.password
	const deviceToken =
		p.auth?.deviceToken ?? (presented && parseDeviceToken(presented) ? presented : undefined)
	const token = presented && !parseDeviceToken(presented) ? presented : undefined
	const failed = async (error: ErrorShape, reason: string, tenantId?: string) => {
		if (await authFailed(h, state, reason, tenantId)) {
			return refuse(rateLimited(LOCKOUT_MS), 'too many failed authentication attempts')
		}
		return refuse(error, 'unauthorized')
	}
	let proof: ProvenDevice | undefined
	if (p.device !== undefined) {
		const device = DeviceBlock.safeParse(p.device)
		if (!device.success)
			return failed(deviceRefused('DEVICE_AUTH_INVALID', 'device-invalid'), 'device-invalid')
		const verdict = await verifyDeviceProof(device.data, signedConnect(p), state.nonce, h.now())
		if (!verdict.ok)
			return failed(deviceRefused(deviceAuthCode(verdict.reason), verdict.reason), verdict.reason)
		proof = verdict
	}
	if (!token && deviceToken) {
		if (!proof) return failed(deviceIdentityRequired(), 'device_identity_required')
		const verdict = await identifyDevice(h.env, deviceToken, proof)
		if (!verdict.ok && verdict.reason === TENANT_DISABLED) {
			h.logger.warn('auth.tenant_disabled', { tenant: verdict.tenantId })
			return refuse(tenantDisabled(verdict.tenantId), 'tenant disabled')
		}
		if (!verdict.ok) return failed(deviceTokenRejected(), verdict.reason, verdict.tenantId)
		const { row } = verdict
		return {
			state: connectedState(
				h,
				state,
				p,
				verdict.principal,
				capScopes(row.scopes as Scope[], p.scopes),
				{
					id: row.deviceId,
					rowId: row.id,
				},
			),
		}
	}
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
		return failed(tokenRejected(Boolean(token)), verdict.reason, tenantId)
	}
	const scopes = grantScopes(verdict.principal.role, p.scopes)
	if (!proof) return { state: connectedState(h, state, p, verdict.principal, scopes) }
	const device = await deviceAtConnect(h.env, verdict.principal, proof, p.client, scopes, h.now())
	if (device.kind === 'too-many-requests') {
		return refuse(REFUSED.pairingBusy, 'too many pairing requests')
	}
	if (device.kind === 'pairing-required') {
		if (device.created) {
			pairingRequested(h, device.row, state.meta.ip)
			auditRow(h, state.meta, verdict.principal, {
				action: 'device.pair.requested',
				outcome: 'success',
				target: `device:${device.row.deviceId}`,
				data: {
					requestId: device.row.id,
					scopes: device.row.scopes,
					...(state.meta.ip && { remoteIp: state.meta.ip }),
				},
			})
		}
		return refuse(
			pairingRequired(device.row.id, device.row.deviceId, device.row.scopes as string[]),
			'pairing required',
		)
	}
	return {
		state: connectedState(h, state, p, verdict.principal, scopes, {
			id: device.row.deviceId,
			rowId: device.row.id,
		}),
		...(device.issued && { issued: device.issued }),
	}
}

/** What the client signed besides its device block: its connect params as they arrived. */
const signedConnect = (p: ConnectParams): SignedConnect => ({
	clientId: p.client.id,
	clientMode: p.client.mode,
	platform: p.client.platform,
	deviceFamily: p.client.deviceFamily,
	role: p.role ?? 'operator',
	scopes: p.scopes ?? [],
	token: p.auth?.token ?? p.auth?.deviceToken ?? p.auth?.bootstrapToken,
})

function connectedState(
	h: ConnectionHost,
	state: Challenged,
	p: ConnectParams,
	principal: Principal,
	scopes: Scope[],
	device?: Connected['device'],
): Connected {
	return {
		phase: 'connected',
		principal,
		scopes,
		client: {
			id: p.client.id,
			...(p.client.version !== undefined && { version: p.client.version }),
			...(p.client.platform !== undefined && { platform: p.client.platform }),
			...(p.client.mode !== undefined && { mode: p.client.mode }),
		},
		...(device && { device }),
		connectedAt: h.now(),
		meta: state.meta,
	}
}

/**
 * The payload of `connect`'s answer: what this gateway serves and what the client was granted
 * (with a paired device's token: the one place a device token is ever sent, besides rotate).
 */
export function helloOk(h: ConnectionHost, s: Connected, issued?: IssuedToken) {
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
		auth: {
			role: 'operator',
			scopes: s.scopes,
			...(issued && {
				deviceToken: issued.deviceToken,
				issuedAtMs: issued.issuedAtMs,
				deviceTokens: [
					{
						deviceToken: issued.deviceToken,
						role: issued.role,
						scopes: issued.scopes,
						issuedAtMs: issued.issuedAtMs,
					},
				],
			}),
		},
		policy: {
			maxPayload: MAX_PAYLOAD_BYTES,
			maxBufferedBytes: MAX_BUFFERED_BYTES,
			tickIntervalMs: TICK_INTERVAL_MS,
		},
	}
}
