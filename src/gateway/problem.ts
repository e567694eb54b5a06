// The one error model of the gateway and its native rendering: every error a client may see is a
// `ProblemError` with a stable machine `code`; the native API renders it as RFC 9457 problem+json
// with the request id, the other protocols render the same problem in their own shape.

/** Every code the API can return, with its HTTP status and title. Codes never change meaning. */
export const PROBLEMS = {
	bad_request: { status: 400, title: 'Bad request' },
	malformed_json: { status: 400, title: 'Malformed JSON body' },
	validation_failed: { status: 400, title: 'Request validation failed' },
	credentials_in_url: { status: 400, title: 'Credentials in the URL' },
	unauthorized: { status: 401, title: 'Authentication required' },
	forbidden: { status: 403, title: 'Forbidden' },
	privilege_escalation: { status: 403, title: 'More privileges than the caller holds' },
	approval_self_denied: { status: 403, title: 'Approver is a principal of the call' },
	tenant_disabled: { status: 403, title: 'Tenant disabled' },
	not_found: { status: 404, title: 'Not found' },
	method_not_allowed: { status: 405, title: 'Method not allowed' },
	conflict: { status: 409, title: 'Conflict' },
	metrics_source_unconfigured: { status: 409, title: 'Metrics source is not configured' },
	restore_unsupported: { status: 409, title: 'Point-in-time recovery is not available here' },
	session_full: { status: 409, title: 'Session is full' },
	memory_full: { status: 409, title: "Agent's memory is full" },
	schedule_owned_by_agent: { status: 409, title: "Schedule is an agent's heartbeat" },
	run_cancelled: { status: 409, title: 'Run cancelled before it answered' },
	precondition_failed: { status: 412, title: 'Precondition failed' },
	payload_too_large: { status: 413, title: 'Payload too large' },
	unsupported_media_type: { status: 415, title: 'Unsupported media type' },
	upgrade_required: { status: 426, title: 'WebSocket upgrade required' },
	rate_limited: { status: 429, title: 'Too many requests' },
	queue_full: { status: 429, title: "Session's queue is full" },
	budget_exhausted: { status: 429, title: "Tenant's daily token budget is used up" },
	internal_error: { status: 500, title: 'Internal error' },
	run_failed: { status: 500, title: 'Run failed' },
	run_upstream_failed: { status: 502, title: 'Run failed at the model providers' },
	channel_platform_failed: { status: 502, title: 'The channel platform refused the request' },
	metrics_unavailable: { status: 502, title: 'The metrics store did not answer' },
	model_upstream_failed: { status: 502, title: 'The model provider failed' },
	not_ready: { status: 503, title: 'Service not ready' },
	lane_unavailable: { status: 503, title: 'Session lane unavailable' },
	secrets_unavailable: { status: 503, title: 'Tenant secrets are not configured' },
	run_unavailable: { status: 503, title: 'Run cannot be served now' },
	model_unavailable: { status: 503, title: 'Model cannot be served now' },
	run_timeout: { status: 504, title: 'Run did not finish in time' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemCode = keyof typeof PROBLEMS

/**
 * How a run a client waited for ended without an answer. The lane logged why; for the gateway it
 * is an outcome to report, not a fault of its own.
 */
export const RUN_OUTCOMES: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
	'run_cancelled',
	'run_failed',
	'run_upstream_failed',
	'run_unavailable',
	'run_timeout',
])

/** Body of every error response (`application/problem+json`). */
export interface ProblemBody {
	type: string
	title: string
	status: number
	detail: string
	code: ProblemCode
	requestId: string
	[extension: string]: unknown
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** A URN needs no server behind it and still names the problem type uniquely. */
export const problemType = (code: ProblemCode): string => `urn:edgeclaw:problem:${code}`

export interface ProblemOptions {
	/**
	 * Extra members of the problem object, e.g. `errors` or `checks`. Two have a meaning every
	 * protocol renders: `param`, the request parameter at fault, and `reason`, a finer machine
	 * code within `code` (OpenAI's `code`, OpenClaw's `details.code`).
	 */
	extensions?: Record<string, unknown>
	headers?: Record<string, string>
	cause?: unknown
}

/** An error the client may see: its detail is public, so never put secrets or internals in it. */
export class ProblemError extends Error {
	override readonly name = 'ProblemError'
	readonly code: ProblemCode
	readonly status: number
	readonly extensions: Record<string, unknown>
	readonly headers: Record<string, string>

	constructor(code: ProblemCode, detail: string, options: ProblemOptions = {}) {
		super(detail, { cause: options.cause })
		this.code = code
		this.status = PROBLEMS[code].status
		this.extensions = options.extensions ?? {}
		this.headers = options.headers ?? {}
	}
}

/** Renders a problem as problem+json. Extensions cannot overwrite the standard members. */
export function problemResponse(problem: ProblemError, requestId: string): Response {
	const { code } = problem
	const { status, title } = PROBLEMS[code]
	const body: ProblemBody = {
		...problem.extensions,
		type: problemType(code),
		title,
		status,
		detail: problem.message,
		code,
		requestId,
	}
	return new Response(JSON.stringify(body), {
		status,
		headers: { ...problem.headers, 'content-type': PROBLEM_CONTENT_TYPE },
	})
}

/** Maps an HTTP status from a library (e.g. Hono's HTTPException) to the closest code. */
export function codeForStatus(status: number): ProblemCode {
	switch (status) {
		case 401:
			return 'unauthorized'
		case 403:
			return 'forbidden'
		case 404:
			return 'not_found'
		case 405:
			return 'method_not_allowed'
		case 409:
			return 'conflict'
		case 413:
			return 'payload_too_large'
		case 415:
			return 'unsupported_media_type'
		case 429:
			return 'rate_limited'
		case 503:
			return 'not_ready'
		default:
			return status >= 400 && status < 500 ? 'bad_request' : 'internal_error'
	}
}
