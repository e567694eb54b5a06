// What a provider failure means for failover. Every error a model call can raise — HTTP statuses,
// provider error bodies (also mid-stream), timeouts, dropped connections, unparseable responses —
// is sorted into one class, and the class decides: rotate the key, cool it down, disable it,
// back off and retry, move to the next model, or stop. What the router gives up with is a
// ModelError, whose code the lane records on the run.
import { APICallError } from '@ai-sdk/provider'

export type FailureClass =
	/** 429: the key is rate limited → cooldown, next profile. */
	| 'rate_limit'
	/** 529 / 503 / "overloaded" → cooldown, next profile; counts toward the breaker. */
	| 'overloaded'
	/** 401 / 403 → the key is disabled until an admin re-enables it. */
	| 'auth'
	/** 402 / billing or quota exhausted → disabled like auth. */
	| 'billing'
	/** 5xx → backoff and retry; counts toward the breaker. */
	| 'server'
	/** No answer within the call timeout → like server. */
	| 'timeout'
	/** Connection refused / reset → like server. */
	| 'network'
	/** A body that is not the provider's protocol → next model; counts toward the breaker. */
	| 'bad_response'
	/** The prompt does not fit the model → next model. */
	| 'context_overflow'
	/** 400 / 404 / 422: this model rejects this request → next model, no penalty. */
	| 'request'

export interface Failure {
	kind: FailureClass
	status?: number
	/** From `retry-after` / `retry-after-ms`, when the provider sent one. */
	retryAfterMs?: number
	message: string
}

/** Classes that put the auth profile into cooldown. */
export const COOLDOWN: ReadonlySet<FailureClass> = new Set(['rate_limit', 'overloaded'])
/** Classes that disable the auth profile. */
export const DISABLE: ReadonlySet<FailureClass> = new Set(['auth', 'billing'])
/** Classes that count toward the provider+model circuit breaker. */
export const BREAKER: ReadonlySet<FailureClass> = new Set([
	'overloaded',
	'server',
	'timeout',
	'network',
	'bad_response',
])
/** Classes worth another attempt at the same model (possibly with another profile). */
export const RETRY_SAME_MODEL: ReadonlySet<FailureClass> = new Set([
	'rate_limit',
	'overloaded',
	'auth',
	'billing',
	'server',
	'timeout',
	'network',
])

const CONTEXT_PATTERN =
	/context[_ -]?(length|window)|too many tokens|prompt is too long|maximum context|max_tokens.*exceed/i
const OVERLOAD_PATTERN = /overload/i
const BILLING_PATTERN = /billing|credit balance|insufficient[_ ]quota|payment/i

/** Marks a per-call timeout so it is told apart from the run being cancelled. */
export class CallTimeout extends Error {
	override readonly name = 'CallTimeout'
	constructor(ms: number) {
		super(`the model did not answer within ${ms} ms`)
	}
}

/** A failure of the model layer, with the provider's HTTP status when there is one. */
export class ModelError extends Error {
	override readonly name = 'ModelError'
	readonly code: string
	readonly status: number | undefined
	constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
		super(message, { cause: options.cause })
		this.code = code
		this.status = options.status
	}
}

export function classify(error: unknown): Failure {
	if (error instanceof CallTimeout) return { kind: 'timeout', message: error.message }
	if (APICallError.isInstance(error)) {
		const status = error.statusCode
		const body = `${error.message} ${error.responseBody ?? ''}`
		const retryAfterMs = retryAfter(error.responseHeaders)
		const base = {
			status,
			message: providerMessage(error),
			...(retryAfterMs ? { retryAfterMs } : {}),
		}
		if (status === undefined) {
			// No HTTP status: the connection failed before a response.
			return { ...base, kind: 'network' }
		}
		// Billing shows up as 402, as 429 "insufficient_quota" (OpenAI) or 400 "credit balance"
		// (Anthropic): the key is out of money, not busy.
		if (BILLING_PATTERN.test(body) && [400, 402, 403, 429].includes(status)) {
			return { ...base, kind: 'billing' }
		}
		if (status === 429) return { ...base, kind: 'rate_limit' }
		if (status === 529 || (status === 503 && OVERLOAD_PATTERN.test(body))) {
			return { ...base, kind: 'overloaded' }
		}
		if (status === 401 || status === 403) return { ...base, kind: 'auth' }
		if (status === 402) return { ...base, kind: 'billing' }
		if (status >= 500) return { ...base, kind: 'server' }
		if (CONTEXT_PATTERN.test(body)) return { ...base, kind: 'context_overflow' }
		return { ...base, kind: 'request' }
	}
	// Provider error objects delivered inside a stream (e.g. Anthropic `event: error`).
	const streamed = streamedError(error)
	if (streamed) return streamed
	const name = error instanceof Error ? error.name : ''
	const message = error instanceof Error ? error.message : safeString(error)
	if (
		/JSONParse|TypeValidation|InvalidResponseData|NoContentGenerated|EmptyResponseBody/.test(name)
	) {
		return { kind: 'bad_response', message: `unreadable provider response: ${message}` }
	}
	// workerd reports an outbound fetch that never reached the host (DNS, connect, TLS) as
	// `internal error; reference = …`.
	if (
		error instanceof TypeError ||
		/network|fetch failed|ECONN|socket|^internal error; reference = /i.test(message)
	) {
		return { kind: 'network', message }
	}
	return { kind: 'bad_response', message: message.slice(0, 500) }
}

function streamedError(error: unknown): Failure | undefined {
	if (!error || typeof error !== 'object' || error instanceof Error) return undefined
	const inner = (error as { error?: unknown }).error ?? error
	if (!inner || typeof inner !== 'object') return undefined
	const type = safeString(
		(inner as { type?: unknown }).type ?? (inner as { code?: unknown }).code ?? '',
	)
	const message = safeString((inner as { message?: unknown }).message ?? type) || 'provider error'
	if (/overload/.test(type)) return { kind: 'overloaded', message }
	if (/rate_limit/.test(type)) return { kind: 'rate_limit', message }
	if (/authentication|permission/.test(type)) return { kind: 'auth', message }
	if (/billing|quota/.test(type)) return { kind: 'billing', message }
	if (/invalid_request/.test(type)) {
		return { kind: CONTEXT_PATTERN.test(message) ? 'context_overflow' : 'request', message }
	}
	if (type) return { kind: 'server', message }
	return undefined
}

/** The provider's own error message when its body has one, else the SDK's. Never the request. */
function providerMessage(error: APICallError): string {
	const data = error.data as { error?: { message?: unknown } } | undefined
	const message = typeof data?.error?.message === 'string' ? data.error.message : error.message
	return message.slice(0, 500)
}

function retryAfter(headers: Record<string, string> | undefined): number | undefined {
	if (!headers) return undefined
	const ms = Number(headers['retry-after-ms'])
	if (Number.isFinite(ms) && ms > 0) return ms
	const raw = headers['retry-after']
	if (!raw) return undefined
	const seconds = Number(raw)
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
	const at = Date.parse(raw)
	return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined
}

/** Text of any thrown value, even one without a usable toString (never throws). */
function safeString(value: unknown): string {
	if (typeof value === 'string') return value
	try {
		return String(value)
	} catch {
		try {
			return JSON.stringify(value) ?? typeof value
		} catch {
			return typeof value
		}
	}
}
