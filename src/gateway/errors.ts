// The one place where errors become responses: domain problems keep their code, library errors
// map by status, validation errors list their field paths, a write whose tenant or agent is
// missing (a foreign-key failure) is a 404, and anything unknown becomes a generic 500 whose
// details go to the log only. The OpenAI-compatible paths get the same errors in
// OpenAI's shape (openai/errors.ts).
import type { ErrorHandler, Hono, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { PatternRouter } from 'hono/router/pattern-router'
import type { z } from 'zod'
import { isForeignKeyViolation } from '../db/errors'
import type { Logger } from '../observability/logger'
import type { GatewayEnv } from './context'
import { fromProblem, isOpenAIPath, OpenAIError } from './openai/errors'
import { codeForStatus, ProblemError, problemResponse } from './problem'

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** An invalid field: where (dotted path) and what is wrong. */
export interface FieldError {
	path: string
	message: string
}

/** One entry per invalid field; an unknown key is named by its own path (`settings.bogus`). */
export function fieldErrors(error: z.ZodError): FieldError[] {
	return error.issues
		.flatMap((issue) =>
			issue.code === 'unrecognized_keys'
				? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown field' }))
				: [{ path: issue.path, message: issue.message }],
		)
		.slice(0, 50)
		.map(({ path, message }) => ({ path: path.map(String).join('.') || '(root)', message }))
}

/** Thrown by the request validators (see `validationHook`). */
export function validationProblem(error: z.ZodError, target: string): ProblemError {
	return fieldProblem(fieldErrors(error), target)
}

/** A validation problem from field errors (zod's, or checks zod cannot make, e.g. secrets). */
export function fieldProblem(errors: FieldError[], target: string): ProblemError {
	const first = errors[0]
	const where = first
		? ` ${target === 'json' ? 'body' : target} field "${first.path}": ${first.message}`
		: ''
	return new ProblemError('validation_failed', `Invalid request;${where}`, {
		extensions: { errors },
	})
}

/** zod-openapi hook: turn a failed parse into a validation problem. */
export const validationHook = (
	result: { success: true } | { success: false; error: z.ZodError; target: string },
): undefined => {
	if (!result.success) throw validationProblem(result.error, result.target)
	return undefined
}

export const onError: ErrorHandler<GatewayEnv> = (err, c) => {
	const requestId = c.get('requestId') ?? 'unknown'
	// The OpenAI-compatible routes answer in OpenAI's error shape; everything else is problem+json.
	const openai = isOpenAIPath(c.req.path)
	if (openai && err instanceof OpenAIError) {
		// These are run outcomes (the lane logged the cause) or a wait that ran out: not our faults.
		if (err.status >= 500)
			c.get('logger')?.warn('openai.error', { code: err.code, detail: err.message })
		return err.toResponse()
	}
	const problem = asProblem(err, c.get('logger'), c.get('principal')?.tenantId)
	return openai
		? fromProblem(problem)
		: problemResponse(problem.code, problem.message, requestId, problem)
}

/** Any error as the problem the client may see; what it must not see goes to the log. */
function asProblem(err: Error, logger: Logger | undefined, tenantId?: string): ProblemError {
	if (err instanceof ProblemError) {
		// 5xx details (the cause) belong in the log; the client sees only the public detail.
		if (err.status >= 500) {
			logger?.error('problem', { code: err.code, detail: err.message, cause: err.cause })
		}
		return err
	}
	if (err instanceof HTTPException) {
		const detail =
			err.status < 500 && err.message ? err.message : 'The request could not be handled.'
		return new ProblemError(codeForStatus(err.status), detail)
	}
	// Every write of a tenant-owned row lands here when its tenant (or agent) is missing: whatever
	// route made it, the caller named something that does not exist.
	if (isForeignKeyViolation(err)) {
		logger?.warn('db.missing_parent', { tenant: tenantId })
		return new ProblemError(
			'not_found',
			tenantId
				? `Tenant "${tenantId}", or a resource this request refers to, does not exist.`
				: 'A resource this request refers to does not exist.',
		)
	}
	logger?.error('unhandled', { error: err })
	return new ProblemError(
		'internal_error',
		'An internal error occurred; quote the request id when reporting it.',
	)
}

/**
 * Unknown path → 404; known path with another method → 405 with `Allow` (OPTIONS → 204 with
 * `Allow`). The route table is read from the app once, on the first miss.
 */
export function notFoundHandler(app: Hono<GatewayEnv>): NotFoundHandler<GatewayEnv> {
	let router: PatternRouter<true> | undefined
	const allowedMethods = (path: string): string[] => {
		if (!router) {
			router = new PatternRouter<true>()
			for (const route of app.routes)
				if (route.method !== 'ALL') router.add(route.method, route.path, true)
		}
		const r = router
		const allowed = METHODS.filter((m) => r.match(m, path)[0].length > 0)
		if (allowed.includes('GET') && !allowed.includes('HEAD')) allowed.push('HEAD')
		return allowed
	}
	return (c) => {
		const requestId = c.get('requestId') ?? 'unknown'
		const render = (problem: ProblemError) =>
			isOpenAIPath(c.req.path)
				? fromProblem(problem)
				: problemResponse(problem.code, problem.message, requestId, problem)
		const allowed = allowedMethods(c.req.path)
		if (allowed.length === 0) {
			return render(new ProblemError('not_found', `No route matches ${c.req.path.slice(0, 200)}.`))
		}
		const allow = [...allowed, 'OPTIONS'].join(', ')
		if (c.req.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow } })
		return render(
			new ProblemError('method_not_allowed', `${c.req.method} is not allowed here; use ${allow}.`, {
				headers: { allow },
			}),
		)
	}
}
