// Pieces shared by every route definition: the router factory (validation errors become problem
// responses), the problem schema and the standard error responses for the OpenAPI document.
import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { GatewayEnv } from './context'
import { validationHook } from './errors'
import { PROBLEM_CONTENT_TYPE, PROBLEMS } from './problem'

/** Every /v1 route: `Authorization: Bearer <token>` (the scheme registered in app.ts). */
export const bearerAuth = [{ bearer: [] }]

/** A router whose request validation failures become `validation_failed` problems. */
export const createRouter = () => new OpenAPIHono<GatewayEnv>({ defaultHook: validationHook })

export const ProblemSchema = z
	.object({
		type: z.string().openapi({ example: 'urn:edgeclaw:problem:not_found' }),
		title: z.string(),
		status: z.number().int(),
		detail: z.string(),
		code: z.enum(Object.keys(PROBLEMS) as [keyof typeof PROBLEMS, ...(keyof typeof PROBLEMS)[]]),
		requestId: z.string(),
		errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
	})
	.loose()
	.openapi('Problem')

/** A problem response of the OpenAPI document. */
export const problem = (description: string) => ({
	description,
	content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
})

/** Error responses every authenticated route may return. */
export const authedErrors = {
	400: problem('Invalid request (validation_failed, malformed_json, bad_request)'),
	401: problem('Missing or invalid credentials (unauthorized)'),
	413: problem('Body too large (payload_too_large)'),
	415: problem('Body is not JSON (unsupported_media_type)'),
	429: problem('Rate limited (rate_limited)'),
} as const

export const notFoundResponse = { 404: problem('No such resource (not_found)') } as const
export const conflictResponse = { 409: problem('Already exists (conflict)') } as const
export const notReadyResponse = { 503: problem('A dependency is not ready (not_ready)') } as const

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
	description,
	content: { 'application/json': { schema } },
})
