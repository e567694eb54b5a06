// The OpenAI error dialect: on the OpenAI-compatible paths every error is
// `{error: {message, type, param, code}}` (what the openai SDKs parse into APIError), not
// problem+json. The central handler (gateway/errors.ts) renders through here for those paths, so
// errors from the shared middleware — auth, rate limits, authz, body caps — speak the dialect too.
import type { RunError, RunView } from '../../lanes/types'
import type { ProblemCode, ProblemError } from '../problem'

/** Paths whose errors use the OpenAI shape: the routes served here, and OpenAI's other well-known
 * endpoints, so an SDK pointed at edgeclaw gets an error it can read for them too. */
const OPENAI_PATH = /^\/v1\/(?:chat|models|completions|embeddings|responses)(?:\/|$)/

export const isOpenAIPath = (path: string): boolean => OPENAI_PATH.test(path)

export type OpenAIErrorType =
	| 'invalid_request_error'
	| 'authentication_error'
	| 'permission_error'
	| 'rate_limit_error'
	| 'api_error'

export interface OpenAIErrorBody {
	error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null }
}

export interface OpenAIErrorOptions {
	param?: string | null
	code?: string | null
	headers?: Record<string, string>
	cause?: unknown
}

/**
 * An error only the OpenAI routes raise (unknown model, unsupported parameter, a failed run); its
 * message is public. Everything else arrives as a ProblemError and is translated.
 */
export class OpenAIError extends Error {
	override readonly name = 'OpenAIError'
	readonly status: number
	readonly type: OpenAIErrorType
	readonly param: string | null
	readonly code: string | null
	readonly headers: Record<string, string>

	constructor(status: number, message: string, options: OpenAIErrorOptions = {}) {
		super(message, { cause: options.cause })
		this.status = status
		this.type = typeForStatus(status)
		this.param = options.param ?? null
		this.code = options.code ?? null
		this.headers = options.headers ?? {}
	}

	toResponse(): Response {
		return openAIErrorResponse(this.status, this, this.headers)
	}
}

/** A 400 for a parameter the agent cannot honour. */
export const unsupported = (param: string, message: string, code = 'unsupported_parameter') =>
	new OpenAIError(400, message, { param, code })

export function typeForStatus(status: number): OpenAIErrorType {
	if (status === 401) return 'authentication_error'
	if (status === 403) return 'permission_error'
	if (status === 429) return 'rate_limit_error'
	if (status >= 500) return 'api_error'
	return 'invalid_request_error'
}

/** OpenAI's own codes where it has one, so clients that branch on them keep working. */
const CODES: Partial<Record<ProblemCode, string>> = {
	unauthorized: 'invalid_api_key',
	rate_limited: 'rate_limit_exceeded',
	budget_exhausted: 'insufficient_quota',
}

/** A problem in the OpenAI dialect: same status, message and headers (Retry-After, Allow, …). */
export function fromProblem(problem: ProblemError): Response {
	const errors = problem.extensions.errors as { path?: unknown }[] | undefined
	const path = errors?.[0]?.path
	const headers: Record<string, string> = { ...problem.headers }
	// Retrying before UTC midnight cannot succeed; the SDKs honour this header.
	if (problem.code === 'budget_exhausted') headers['x-should-retry'] = 'false'
	return openAIErrorResponse(
		problem.status,
		{
			message: problem.message,
			type: typeForStatus(problem.status),
			param: typeof path === 'string' && path !== '(root)' ? path : null,
			code: CODES[problem.code] ?? problem.code,
		},
		headers,
	)
}

export function openAIErrorResponse(
	status: number,
	error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null },
	headers: Record<string, string> = {},
): Response {
	const body: OpenAIErrorBody = {
		error: { message: error.message, type: error.type, param: error.param, code: error.code },
	}
	return new Response(JSON.stringify(body), {
		status,
		headers: { ...headers, 'content-type': 'application/json' },
	})
}

/** HTTP status of a failed run's error code (codes: docs/api.md, "A failed run's error.code"). */
const RUN_FAILURES: Record<string, { status: number; code?: string; param?: string }> = {
	// Every model and key failed, or the stream broke off: an upstream failure.
	models_exhausted: { status: 502 },
	provider_stream_interrupted: { status: 502 },
	// No key for the agent's model in this deployment: unavailable until an operator adds one.
	provider_not_configured: { status: 503 },
	lane_restarted: { status: 503 },
	deadline_exceeded: { status: 504 },
	context_overflow: { status: 400, code: 'context_length_exceeded', param: 'messages' },
}

/** The OpenAI error of a run that did not succeed (failed or cancelled). */
export function runFailure(run: Pick<RunView, 'runId' | 'status' | 'error'>): OpenAIError {
	if (run.status === 'cancelled') return runCancelled(run.runId)
	const error: RunError = run.error ?? { code: 'run_failed', message: 'The run failed.' }
	const mapped = RUN_FAILURES[error.code] ?? { status: 500 }
	return new OpenAIError(mapped.status, `The agent run failed: ${error.message.slice(0, 1_000)}`, {
		code: mapped.code ?? error.code,
		param: mapped.param ?? null,
	})
}

/**
 * A cancelled run produced no answer: someone cancelled it, a later `interrupt` message or a
 * reset stopped it. 409 because the session changed under the request; not worth a retry.
 */
export function runCancelled(runId: string, reason?: string): OpenAIError {
	const why = reason ? ` (${reason})` : ''
	return new OpenAIError(409, `The agent run ${runId} was cancelled before it answered${why}.`, {
		code: 'run_cancelled',
		headers: { 'x-should-retry': 'false' },
	})
}
