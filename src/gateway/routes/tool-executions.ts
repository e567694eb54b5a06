// The tenant's tool executions (D1 `tool_executions`), newest first: who ran which tool where (the
// run's starter and every principal whose message it carried), the decision and its policy, the
// outcome, duration and bytes. Arguments appear only as digests.
import { createRoute, z } from '@hono/zod-openapi'
import { Slug } from '../../agents/config'
import { database } from '../../db/client'
import { listToolExecutions, type ToolExecutionRow } from '../../db/tool-executions'
import { SessionKey } from '../../lanes/name'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'

const ToolExecutionSchema = z
	.object({
		id: z.string(),
		agentId: z.string(),
		sessionKey: z.string(),
		runId: z.string(),
		callId: z.string().nullable(),
		actor: z.string().nullable().openapi({ description: 'Who started the run' }),
		principals: z.array(z.string()).openapi({
			description:
				"Every principal whose message the run carried when the call was decided (the starter first); the call needed each one's permission",
		}),
		tool: z.string(),
		argsDigest: z.string(),
		decision: z.enum(['allow', 'deny']),
		policyId: z.string().nullable(),
		placement: z.enum(['lane', 'job']).nullable(),
		status: z.string(),
		code: z.string().nullable(),
		attempts: z.number().int(),
		startedAt: z.number(),
		durationMs: z.number().int().nullable(),
		bytesIn: z.number().int(),
		bytesOut: z.number().int(),
		traceId: z
			.string()
			.nullable()
			.openapi({ description: "The W3C trace id of the run's trace (`traceparent`)" }),
	})
	.openapi('ToolExecution')

const list = createRoute({
	method: 'get',
	path: '/v1/tool-executions',
	tags: ['tools'],
	security: bearerAuth,
	summary: "The tenant's tool executions, newest first",
	request: {
		query: z.object({
			agent: Slug.optional(),
			session: SessionKey.optional(),
			/** Executions started before this epoch ms (the `nextCursor` of the previous page). */
			cursor: z.coerce.number().int().min(1).optional(),
			limit: z.coerce.number().int().min(1).max(500).default(100),
		}),
	},
	responses: {
		200: json(
			z.object({
				executions: z.array(ToolExecutionSchema),
				nextCursor: z.number().int().nullable(),
			}),
			'A page of executions',
		),
		...authedErrors,
	},
})

const view = (r: ToolExecutionRow) => ({
	id: r.id,
	agentId: r.agentId,
	sessionKey: r.sessionKey,
	runId: r.runId,
	callId: r.callId,
	actor: r.actor,
	principals: principalsOf(r),
	tool: r.tool,
	argsDigest: r.argsDigest,
	decision: r.decision,
	policyId: r.policyId,
	placement: r.placement,
	status: r.status,
	code: r.code,
	attempts: r.attempts,
	startedAt: r.startedAt.getTime(),
	durationMs: r.durationMs,
	bytesIn: r.bytesIn,
	bytesOut: r.bytesOut,
	traceId: r.traceId,
})

/** Rows written before runs named every principal hold none: their actor was the only one. */
function principalsOf(r: ToolExecutionRow): string[] {
	const listed = Array.isArray(r.principals)
		? r.principals.filter((p): p is string => typeof p === 'string')
		: []
	return listed.length > 0 || r.actor === null ? listed : [r.actor]
}

export const toolExecutionRoutes = createRouter().openapi(list, async (c) => {
	const { agent, session, cursor, limit } = c.req.valid('query')
	const rows = await listToolExecutions(database(c.env.DB), c.get('principal').tenantId, {
		...(agent !== undefined && { agentId: agent }),
		...(session !== undefined && { sessionKey: session }),
		...(cursor !== undefined && { before: cursor }),
		limit: limit + 1,
	})
	const page = rows.slice(0, limit)
	const last = page.at(-1)
	return c.json(
		{
			executions: page.map(view),
			nextCursor: rows.length > limit && last ? last.startedAt.getTime() : null,
		},
		200,
	)
})
