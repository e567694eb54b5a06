// The tenant's pending approvals across its sessions, newest first, for a console that decides
// them from one list. The D1 sessions index names the sessions with approvals waiting; each of
// those lanes (the authority) is asked for its own, a few at a time.
import { createRoute, z } from '@hono/zod-openapi'
import { Slug } from '../../agents/config'
import { database } from '../../db/client'
import { listSessionsAwaitingApproval, type SessionRow } from '../../db/sessions'
import { laneName } from '../../lanes/name'
import type { ApprovalView } from '../../lanes/tool-store'
import { type LaneResult, ok } from '../../lanes/types'
import { allowedIds, type RouteRule } from '../authz'
import { callLane } from '../lane/client'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'
import { ApprovalSchema } from './sessions/approvals'

/** What reading one session's approvals takes (its own route's rule). */
const SESSION_READ: RouteRule = {
	action: 'sessions:read',
	resource: 'session',
	param: 'sessionKey',
}

/** Lanes asked at once: enough to answer quickly, few enough not to flood one isolate. */
const LANES_AT_ONCE = 8

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

/** `fn` over `items`, at most `limit` at a time; results in the items' order. */
async function mapBounded<T, R>(
	items: readonly T[],
	limit: number,
	fn: (item: T) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(items.length)
	let next = 0
	const worker = async () => {
		while (next < items.length) {
			const i = next++
			results[i] = await fn(items[i] as T)
		}
	}
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
	return results
}

export const pendingApprovalRoutes = createRouter().openapi(list, async (c) => {
	const { agent, limit } = c.req.valid('query')
	const tenantId = c.get('principal').tenantId
	// Every listed session has at least one pending approval: `limit` sessions fill the page.
	const sessions = await listSessionsAwaitingApproval(database(c.env.DB), {
		tenantId,
		agentId: agent,
		limit,
	})
	// The same decision as each session's own approvals route: a policy that hides a session hides
	// its approvals here too.
	const readable = await allowedIds(
		c.env,
		c.get('principal'),
		SESSION_READ,
		sessions.map((s) => s.sessionKey),
	)
	const visible = sessions.filter((s) => readable.has(s.sessionKey))
	const perSession = await mapBounded(visible, LANES_AT_ONCE, async (s: SessionRow) => {
		const ref = { tenantId, agentId: s.agentId, sessionKey: s.sessionKey }
		const stub = c.env.SESSION_LANE.getByName(laneName(ref))
		let page: LaneResult<{ approvals: ApprovalView[] }>
		try {
			// A session deleted since the index was read answers not_found: it simply has none.
			page = (await callLane(c.get('logger'), async () =>
				ok(await stub.listApprovals(limit)),
			)) as LaneResult<{ approvals: ApprovalView[] }>
		} catch (error) {
			// One unreachable lane leaves its approvals out, not the whole list.
			c.get('logger').warn('approvals.lane_failed', { agent: s.agentId, error })
			return []
		}
		if (!page.ok) return []
		return page.value.approvals
			.filter((a) => a.status === 'pending')
			.map((a) => ({ ...a, agentId: s.agentId, sessionKey: s.sessionKey }))
	})
	const approvals = perSession
		.flat()
		.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
		.slice(0, limit)
	return c.json({ approvals } as never, 200)
})
