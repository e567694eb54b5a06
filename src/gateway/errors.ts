// The one place where HTTP errors become responses: domain problems keep their code, library
// errors map by status, validation errors list their field paths, a write whose tenant or agent is
// missing (a foreign-key failure) is a 404, and anything unknown becomes a generic 500 whose
// details go to the log only. The problem is then rendered in the dialect of the path: the ones
// the app is given (the OpenAI-compatible paths speak OpenAI's), else problem+json.
import type { ErrorHandler, Hono, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { PatternRouter } from 'hono/router/pattern-router'
import type { z } from 'zod'
import { isForeignKeyViolation } from '../db/errors'
import type { Logger } from '../observability/logger'
import type { GatewayEnv } from './context'
import { codeForStatus, ProblemError, problemResponse, RUN_OUTCOMES } from './problem'

/** A protocol's way of rendering problems, for the paths that speak it. */
export interface ErrorDialect {
	matches(path: string): boolean
	render(problem: ProblemError, requestId: string): Response
}

/** The renderer of a path: the first dialect that claims it, else problem+json. */
const rendererFor = (dialects: readonly ErrorDialect[], path: string): ErrorDialect['render'] =>
	dialects.find((d) => d.matches(path))?.render ?? problemResponse

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

/** `app.onError`: any error as a problem, rendered in the dialect of the request's path. */
export function errorHandler(dialects: readonly ErrorDialect[]): ErrorHandler<GatewayEnv> {
	return function onError(err, c) {
		const problem = asProblem(err, c.get('logger'), c.get('principal')?.tenantId)
		return rendererFor(dialects, c.req.path)(problem, c.get('requestId') ?? 'unknown')
	}
}

/** Any error as the problem the client may see; what it must not see goes to the log. */
function asProblem(err: Error, logger: Logger | undefined, tenantId?: string): ProblemError {
	if (err instanceof ProblemError) {
		if (err.status < 500) return err
		// A run that ended without an answer, or a wait that ran out: the lane logged the cause.
		if (RUN_OUTCOMES.has(err.code)) {
			logger?.warn('run.outcome', {
				code: err.code,
				reason: err.extensions.reason,
				detail: err.message,
			})
			return err
		}
		// 5xx details (the cause) belong in the log; the client sees only the public detail.
		logger?.error('problem', { code: err.code, detail: err.message, cause: err.cause })
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
export function notFoundHandler(
	app: Hono<GatewayEnv>,
	dialects: readonly ErrorDialect[],
): NotFoundHandler<GatewayEnv> {
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
		const render = (problem: ProblemError) => rendererFor(dialects, c.req.path)(problem, requestId)
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
