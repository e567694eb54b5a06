// The OpenClaw error dialect: `{code, message, details?, retryable?, retryAfterMs?}` in a `res`
// frame. A problem thrown by a method (or by the shared gateway code it calls) is rendered here;
// so are the protocol's own refusals of the handshake and of frames the connection cannot serve.
import type { z } from 'zod'
import type { Logger } from '../../observability/logger'
import { ProblemError } from '../problem'

/**
 * OpenClaw's ErrorCodes. Clients branch on `code`, then on `details.code`, where edgeclaw puts
 * the specific reason (UNKNOWN_METHOD, MISSING_SCOPE, POLICY_DENIED, NOT_FOUND, …).
 */
export type ErrorCode =
	| 'INVALID_REQUEST'
	| 'FORBIDDEN'
	| 'UNAVAILABLE'
	| 'APPROVAL_NOT_FOUND'
	| 'NOT_PAIRED'

export interface ErrorShape {
	code: ErrorCode
	message: string
	details?: Record<string, unknown>
	retryable?: boolean
	retryAfterMs?: number
}

/** Reasons OpenClaw has an error code of its own for. */
const OWN_CODES: Readonly<Record<string, ErrorCode>> = { APPROVAL_NOT_FOUND: 'APPROVAL_NOT_FOUND' }

/**
 * A problem as an OpenClaw error: `details.code` is its `reason` (else its code) in capitals, with
 * its other extensions beside it; 403 is FORBIDDEN, 429 and 5xx are retryable UNAVAILABLE (after
 * the problem's Retry-After), the rest INVALID_REQUEST.
 */
export function problemShape(problem: ProblemError): ErrorShape {
	const { reason, ...rest } = problem.extensions
	const details = { code: String(reason ?? problem.code).toUpperCase(), ...rest }
	const own = OWN_CODES[details.code]
	if (own) return { code: own, message: problem.message, details }
	if (problem.status === 403) return { code: 'FORBIDDEN', message: problem.message, details }
	if (problem.status === 429 || problem.status >= 500) {
		const retry = Number(problem.headers['retry-after'])
		const retryAfterMs = Number.isFinite(retry) && retry > 0 ? retry * 1000 : undefined
		return {
			code: 'UNAVAILABLE',
			message: problem.message,
			details,
			retryable: true,
			...(retryAfterMs !== undefined && { retryAfterMs }),
		}
	}
	return { code: 'INVALID_REQUEST', message: problem.message, details }
}

/** What a failed method answers: its problem, or (logged) a retryable internal error. */
export function methodFailure(error: unknown, method: string, logger: Logger): ErrorShape {
	if (error instanceof ProblemError) return problemShape(error)
	logger.error('gateway.method_failed', { method, error })
	return { code: 'UNAVAILABLE', message: 'internal error; retry', retryable: true }
}

// ── the protocol's own refusals ─────────────────────────────────────────────────────────────────

/** A zod failure as an INVALID_REQUEST naming the first bad field. */
export function invalid(error: z.ZodError, what: string): ErrorShape {
	const issue = error.issues[0]
	const path = issue?.path.map(String).join('.') || '(root)'
	return {
		code: 'INVALID_REQUEST',
		message: `invalid ${what}: ${path}: ${issue?.message ?? 'invalid'}`,
		details: {
			errors: error.issues
				.slice(0, 20)
				.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
		},
	}
}

const refusal = (
	message: string,
	details?: Record<string, unknown>,
	code: ErrorCode = 'INVALID_REQUEST',
): ErrorShape => ({ code, message, ...(details && { details }) })

export const REFUSED = {
	connectRequired: refusal('the first request must be "connect"', { code: 'CONNECT_REQUIRED' }),
	connectInProgress: refusal('connect already in progress'),
	alreadyConnected: refusal('already connected'),
	authUnavailable: {
		code: 'UNAVAILABLE',
		message: 'authentication is unavailable; retry',
		retryable: true,
	} satisfies ErrorShape,
	revoked: refusal('unauthorized: the credentials were revoked or have expired', {
		code: 'AUTH_UNAUTHORIZED',
	}),
	pairingBusy: {
		code: 'UNAVAILABLE',
		message: 'too many pending device pairing requests; retry once some are decided',
		details: { code: 'PAIRING_REQUESTS_LIMITED' },
		retryable: true,
		retryAfterMs: 60_000,
	} satisfies ErrorShape,
} as const

export const protocolMismatch = (expected: number, min: number, max: number): ErrorShape =>
	refusal(`protocol mismatch: this gateway speaks ${expected}, the client ${min}-${max}`, {
		code: 'PROTOCOL_MISMATCH',
		clientMinProtocol: min,
		clientMaxProtocol: max,
		expectedProtocol: expected,
	})

export const roleUnsupported = (role: string): ErrorShape =>
	refusal(`role "${role}" is not served here; edgeclaw accepts operator clients`, {
		code: 'ROLE_UNSUPPORTED',
		role,
	})

export const tenantDisabled = (tenantId: string | undefined): ErrorShape =>
	refusal(`forbidden: tenant "${tenantId}" is disabled`, { code: 'TENANT_DISABLED' }, 'FORBIDDEN')

export const tokenRejected = (hadToken: boolean): ErrorShape =>
	refusal(
		hadToken ? 'unauthorized: the token is not valid' : 'unauthorized: auth.token is required',
		{ code: hadToken ? 'AUTH_TOKEN_MISMATCH' : 'AUTH_TOKEN_MISSING' },
	)

/** OpenClaw's answer to a locked-out client: its clients wait and retry on AUTH_RATE_LIMITED. */
export const rateLimited = (retryAfterMs: number): ErrorShape => ({
	code: 'INVALID_REQUEST',
	message: 'unauthorized: too many failed authentication attempts (retry later)',
	details: { code: 'AUTH_RATE_LIMITED', recommendedNextStep: 'wait_then_retry' },
	retryable: true,
	retryAfterMs: Math.max(1_000, Math.ceil(retryAfterMs)),
})

export const unknownMethod = (method: string): ErrorShape =>
	refusal(`unknown method: ${method}`, { code: 'UNKNOWN_METHOD', method })

export const missingScope = (scope: string): ErrorShape =>
	refusal(
		`missing scope: ${scope}`,
		{ code: 'MISSING_SCOPE', missingScope: scope, requiredScopes: [scope] },
		'FORBIDDEN',
	)

export const invalidFrame = (message: string): ErrorShape =>
	refusal(message, { code: 'INVALID_FRAME' })

/** A device block that does not prove its key (OpenClaw's DEVICE_AUTH_* codes). */
export const deviceRefused = (code: string, reason: string): ErrorShape =>
	refusal(`device identity refused: ${reason}`, { code, reason })

/** A device token presented without the signed device block it belongs to. */
export const deviceIdentityRequired = (): ErrorShape =>
	refusal(
		'device identity required: a device token needs the signed device block',
		{ code: 'DEVICE_IDENTITY_REQUIRED' },
		'NOT_PAIRED',
	)

export const deviceTokenRejected = (): ErrorShape =>
	refusal('unauthorized: the device token is not valid for this device', {
		code: 'AUTH_DEVICE_TOKEN_MISMATCH',
	})

/**
 * A valid credential with a device this tenant has not paired: the request is pending until an
 * operator approves it (`device.pair.approve`); the client pauses until then.
 */
export const pairingRequired = (
	requestId: string,
	deviceId: string,
	requestedScopes: readonly string[],
): ErrorShape =>
	refusal(
		'pairing required: device is not approved yet',
		{
			code: 'PAIRING_REQUIRED',
			reason: 'not-paired',
			requestId,
			deviceId,
			requestedRole: 'operator',
			requestedScopes: [...requestedScopes],
			remediationHint: 'Approve this device from the pending pairing requests.',
			pauseReconnect: true,
		},
		'NOT_PAIRED',
	)
