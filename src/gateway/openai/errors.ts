// The OpenAI error dialect: on the OpenAI-compatible paths every problem renders as
// `{error: {message, type, param, code}}` (what the openai SDKs parse into APIError), not
// problem+json — including those of the shared middleware (auth, rate limits, authz, body caps).
// Also the problems only these routes raise: a parameter an agent cannot honour, an unknown model,
// a run that ended without an answer.
import type { RunError, RunView } from '../../lanes/types'
import { type ProblemCode, ProblemError } from '../problem'

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
	message: string
	type: OpenAIErrorType
	param: string | null
	code: string | null
}

function typeForStatus(status: number): OpenAIErrorType {
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

/** Problems no retry can fix soon (the budget resets at UTC midnight; a cancelled run stays so). */
const NOT_RETRYABLE: ReadonlySet<ProblemCode> = new Set(['budget_exhausted', 'run_cancelled'])

/**
 * The `error` member for a problem: `param` is the parameter at fault (or the first invalid
 * field), `code` the problem's finer `reason`, else OpenAI's code for it, else its own.
 */
export function openAIError(problem: ProblemError): OpenAIErrorBody {
	const { param, reason, errors } = problem.extensions as {
		param?: unknown
		reason?: unknown
		errors?: { path?: unknown }[]
	}
	const path = errors?.[0]?.path
	return {
		message: problem.message,
		type: typeForStatus(problem.status),
		param:
			typeof param === 'string'
				? param
				: typeof path === 'string' && path !== '(root)'
					? path
					: null,
		code: typeof reason === 'string' ? reason : (CODES[problem.code] ?? problem.code),
	}
}

/** A problem in the OpenAI dialect: same status, message and headers (Retry-After, Allow, …). */
export function openAIErrorResponse(problem: ProblemError): Response {
	const headers: Record<string, string> = { ...problem.headers }
	// The SDKs honour this header and do not retry.
	if (NOT_RETRYABLE.has(problem.code)) headers['x-should-retry'] = 'false'
	return new Response(JSON.stringify({ error: openAIError(problem) }), {
		status: problem.status,
		headers: { ...headers, 'content-type': 'application/json' },
	})
}

/** A 400 for a parameter: one the agent cannot honour, or a value OpenAI would refuse too. */
export const badParam = (param: string, message: string, reason: string) =>
	new ProblemError('bad_request', message, { extensions: { param, reason } })

/** A 400 for a parameter the agent cannot honour. */
export const unsupported = (param: string, message: string, reason = 'unsupported_parameter') =>
	badParam(param, message, reason)

/** A 404 for a model that is not one of the tenant's agents. */
export const modelNotFound = (message: string) =>
	new ProblemError('not_found', message, {
		extensions: { param: 'model', reason: 'model_not_found' },
	})

/** The problem of a failed run's error code (codes: docs/api.md, "A failed run's error.code"). */
const RUN_FAILURES: Record<string, { problem: ProblemCode; reason?: string; param?: string }> = {
	// Every model and key failed, or the stream broke off: an upstream failure.
	models_exhausted: { problem: 'run_upstream_failed' },
	provider_stream_interrupted: { problem: 'run_upstream_failed' },
	// No key for the agent's model in this deployment: unavailable until an operator adds one.
	provider_not_configured: { problem: 'run_unavailable' },
	lane_restarted: { problem: 'run_unavailable' },
	deadline_exceeded: { problem: 'run_timeout' },
	// A client tool named like one of the agent's own tools.
	tool_name_conflict: { problem: 'bad_request', param: 'tools' },
	context_overflow: {
		problem: 'bad_request',
		reason: 'context_length_exceeded',
		param: 'messages',
	},
}

/** The problem of a run that did not succeed (failed or cancelled); `headers` go with it. */
export function runFailure(
	run: Pick<RunView, 'runId' | 'status' | 'error'>,
	headers: Record<string, string> = {},
): ProblemError {
	if (run.status === 'cancelled') return runCancelled(run.runId, undefined, headers)
	const error: RunError = run.error ?? { code: 'run_failed', message: 'The run failed.' }
	const mapped = RUN_FAILURES[error.code] ?? { problem: 'run_failed' }
	return new ProblemError(
		mapped.problem,
		`The agent run failed: ${error.message.slice(0, 1_000)}`,
		{
			extensions: {
				reason: mapped.reason ?? error.code,
				...(mapped.param !== undefined && { param: mapped.param }),
			},
			headers,
		},
	)
}

/**
 * A cancelled run produced no answer: someone cancelled it, a later `interrupt` message or a
 * reset stopped it. 409 because the session changed under the request; not worth a retry.
 */
export function runCancelled(
	runId: string,
	reason?: string,
	headers: Record<string, string> = {},
): ProblemError {
	const why = reason ? ` (${reason})` : ''
	return new ProblemError(
		'run_cancelled',
		`The agent run ${runId} was cancelled before it answered${why}.`,
		{ headers },
	)
}
