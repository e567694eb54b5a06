// Human in the loop: list a session's approvals of elevated tool calls and decide one —
// `allow-once`, `allow-always` (every later call of that tool in this session, until a reset) or
// `deny`. The waiting run continues as soon as the decision lands. Whether the caller may decide
// this one (separate approvers) is the lane's to say.
import { createRoute, z } from '@hono/zod-openapi'
import type { ApprovalView } from '../../../lanes/tool-store'
import { actorOf } from '../../../security/subject'
import { audit } from '../../audit'
import { callLane, openLane } from '../../lane/client'
import { jsonBody } from '../../middleware/body'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
	ProblemSchema,
} from '../../openapi'
import { PROBLEM_CONTENT_TYPE } from '../../problem'
import { AgentQuery, SessionParams } from './schemas'

export const ApprovalSchema = z
	.object({
		id: z.string(),
		runId: z.string(),
		callId: z.string(),
		tool: z.string(),
		args: z.unknown(),
		principals: z.array(z.string()).openapi({
			description: 'Every principal the call was made for (the run carries their messages)',
		}),
		status: z.enum(['pending', 'allowed', 'denied', 'expired']),
		decidedBy: z.string().nullable(),
		createdAt: z.number(),
		deadlineAt: z.number(),
		decidedAt: z.number().nullable(),
	})
	.openapi('Approval')

const ApprovalParams = SessionParams.extend({
	approvalId: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'is not an approval id'),
})

const DecisionBody = z
	.object({ decision: z.enum(['allow-once', 'allow-always', 'deny']) })
	.strict()
	.openapi('ApprovalDecision')

const refusedResponse = {
	403: {
		description:
			'Not allowed (forbidden), or the caller is a principal of the call and the agent requires separate approvers (approval_self_denied)',
		content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
	},
} as const

const list = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/approvals',
	tags: ['sessions'],
	security: bearerAuth,
	summary: "A session's approvals of elevated tool calls (pending first, then the latest 100)",
	request: { params: SessionParams, query: AgentQuery },
	responses: {
		200: json(z.object({ approvals: z.array(ApprovalSchema) }), 'Approvals'),
		...authedErrors,
		...notFoundResponse,
	},
})

const decide = createRoute({
	method: 'post',
	path: '/v1/sessions/{sessionKey}/approvals/{approvalId}',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Decide a pending approval: allow-once, allow-always or deny',
	middleware: [jsonBody()] as const,
	request: {
		params: ApprovalParams,
		query: AgentQuery,
		body: { required: true, content: { 'application/json': { schema: DecisionBody } } },
	},
	responses: {
		200: json(ApprovalSchema, 'The decided approval'),
		...authedErrors,
		...refusedResponse,
		...notFoundResponse,
		...conflictResponse,
	},
})

export const approvalRoutes = createRouter()
	.openapi(list, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		// The lane's views cross RPC as plain data; `args` is whatever JSON the model sent.
		const page = (await callLane(c.get('logger'), () => lane.stub.listApprovals(100))) as {
			approvals: ApprovalView[]
		}
		return c.json(page as never, 200)
	})
	.openapi(decide, async (c) => {
		const { sessionKey, approvalId } = c.req.valid('param')
		const { decision } = c.req.valid('json')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		const by = actorOf(c.get('principal'))
		const approval = (await callLane(c.get('logger'), () =>
			lane.stub.decideApproval(approvalId, decision, by),
		)) as ApprovalView
		await audit(
			c,
			{
				action: 'tool.approval',
				target: `session:${lane.ref.agentId}/${sessionKey}`,
				outcome: decision === 'deny' ? 'deny' : 'success',
				data: {
					approvalId,
					decision,
					tool: approval.tool,
					runId: approval.runId,
					principals: approval.principals,
				},
			},
			{ wait: false },
		)
		return c.json(approval as never, 200)
	})
