// The one error envelope of the HTTP API: RFC 9457 problem details with a stable machine `code`
// and the request id. Domain code throws `ProblemError`; `app.onError` renders it.

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
	session_full: { status: 409, title: 'Session is full' },
	precondition_failed: { status: 412, title: 'Precondition failed' },
	payload_too_large: { status: 413, title: 'Payload too large' },
	unsupported_media_type: { status: 415, title: 'Unsupported media type' },
	rate_limited: { status: 429, title: 'Too many requests' },
	queue_full: { status: 429, title: "Session's queue is full" },
	budget_exhausted: { status: 429, title: "Tenant's daily token budget is used up" },
	internal_error: { status: 500, title: 'Internal error' },
	not_ready: { status: 503, title: 'Service not ready' },
	lane_unavailable: { status: 503, title: 'Session lane unavailable' },
	secrets_unavailable: { status: 503, title: 'Tenant secrets are not configured' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemCode = keyof typeof PROBLEMS

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
	/** Extra members of the problem object, e.g. `errors` or `checks`. */
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

/** Renders a problem response. Extensions cannot overwrite the standard members. */
export function problemResponse(
	code: ProblemCode,
	detail: string,
	requestId: string,
	options: Pick<ProblemOptions, 'extensions' | 'headers'> = {},
): Response {
	const { status, title } = PROBLEMS[code]
	const body: ProblemBody = {
		...options.extensions,
		type: problemType(code),
		title,
		status,
		detail,
		code,
		requestId,
	}
	return new Response(JSON.stringify(body), {
		status,
		headers: { ...options.headers, 'content-type': PROBLEM_CONTENT_TYPE },
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
