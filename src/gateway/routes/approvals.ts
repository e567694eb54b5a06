// The tenant's pending approvals across its sessions, newest first, for a console that decides
// them from one list. The D1 sessions index names the sessions with approvals waiting; each of
// those lanes (the authority) is asked for its own, a few at a time.
import { createRoute, z } from '@hono/zod-openapi'
import { Slug } from '../../agents/config'
import { tenantPendingApprovals } from '../lane/approvals'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'
import { ApprovalSchema } from './sessions/approvals'

const PendingApprovalSchema = ApprovalSchema.extend({
	agentId: z.string(),
	sessionKey: z.string(),
}).openapi('PendingApproval')

const list = createRoute({
	method: 'get',
	path: '/v1/approvals',
	tags: ['sessions'],
	security: bearerAuth,
	summary: "The tenant's pending approvals across its sessions, newest first",
	description:
		"Sessions are found through the D1 sessions index. Its writes are coalesced (at most one per session every 5 s, INDEX_WRITE_INTERVAL_MS), but a lane writes at once when an approval is requested, decided or expires, so the list normally trails a change by one D1 write (a failed write is tried again up to three times, 5 s apart). Sessions are taken newest activity first, `limit` of them, so with more sessions waiting than `limit` a newer approval in a quieter session may be left for a later call. Each listed approval comes from its session's lane and was pending when read; a session whose lane cannot be reached, or that a policy hides from the caller, is left out.",
	request: {
		query: z.object({
			agent: Slug.optional(),
			limit: z.coerce.number().int().min(1).max(100).default(50),
		}),
	},
	responses: {
		200: json(z.object({ approvals: z.array(PendingApprovalSchema) }), 'Pending approvals'),
		...authedErrors,
	},
})

export const pendingApprovalRoutes = createRouter().openapi(list, async (c) => {
	const { agent, limit } = c.req.valid('query')
	const approvals = await tenantPendingApprovals(c.env, c.get('principal'), c.get('logger'), {
		agentId: agent,
		limit,
	})
	return c.json({ approvals } as never, 200)
})
