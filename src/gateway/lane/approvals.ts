// The tenant's pending approvals across its sessions, for every protocol that lists them
// (GET /v1/approvals, OpenClaw's exec.approval.list and resolve by id alone). Sessions come from
// the D1 sessions index (a lane writes its pending count at once when an approval is requested,
// decided or expires); each approval from its session's lane, pending when read. A session a
// policy hides from the caller, or whose lane cannot be reached, is left out.
import { database } from '../../db/client'
import { listSessionsAwaitingApproval, type SessionRow } from '../../db/sessions'
import { laneName } from '../../lanes/name'
import type { ApprovalView } from '../../lanes/tool-store'
import { type LaneResult, ok } from '../../lanes/types'
import type { Logger } from '../../observability/logger'
import { allowedIds, type RouteRule } from '../authz'
import type { Principal } from '../context'
import { callLane } from './client'

export type PendingApproval = ApprovalView & { agentId: string; sessionKey: string }

/** What reading one session's approvals takes (its own route's rule). */
const SESSION_READ: RouteRule = {
	action: 'sessions:read',
	resource: 'session',
	param: 'sessionKey',
}

/** Lanes asked at once: enough to answer quickly, few enough not to flood one isolate. */
const LANES_AT_ONCE = 8

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

/**
 * Pending approvals of the `limit` sessions with the newest activity that have some, newest
 * first (at most `limit`).
 */
export async function tenantPendingApprovals(
	env: Env,
	principal: Principal,
	logger: Logger,
	options: { agentId?: string | undefined; limit: number },
): Promise<PendingApproval[]> {
	const tenantId = principal.tenantId
	const sessions = await listSessionsAwaitingApproval(database(env.DB), {
		tenantId,
		agentId: options.agentId,
		limit: options.limit,
	})
	const readable = await allowedIds(
		env,
		principal,
		SESSION_READ,
		sessions.map((s) => s.sessionKey),
	)
	const visible = sessions.filter((s) => readable.has(s.sessionKey))
	const perSession = await mapBounded(visible, LANES_AT_ONCE, async (s: SessionRow) => {
		const stub = env.SESSION_LANE.getByName(
			laneName({ tenantId, agentId: s.agentId, sessionKey: s.sessionKey }),
		)
		let page: LaneResult<{ approvals: ApprovalView[] }>
		try {
			page = (await callLane(logger, async () =>
				ok(await stub.listApprovals(options.limit)),
			)) as LaneResult<{ approvals: ApprovalView[] }>
		} catch (error) {
			logger.warn('approvals.lane_failed', { agent: s.agentId, error })
			return []
		}
		if (!page.ok) return []
		return page.value.approvals
			.filter((a) => a.status === 'pending')
			.map((a) => ({ ...a, agentId: s.agentId, sessionKey: s.sessionKey }))
	})
	return perSession
		.flat()
		.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
		.slice(0, options.limit)
}
