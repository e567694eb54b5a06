// Tool approvals, as OpenClaw's exec approvals: a tool call that needs a human shows up as
// `exec.approval.requested` on connections following its session; `exec.approval.resolve` (or
// the kind-agnostic `approval.resolve`) decides it with OpenClaw's own decisions, which are
// edgeclaw's: allow-once, allow-always, deny.
import { z } from 'zod'
import { parseLaneName } from '../../../lanes/name'
import type { ApprovalView } from '../../../lanes/tool-store'
import type { LaneResult } from '../../../lanes/types'
import { actorOf } from '../../../security/subject'
import { type LaneHandle, openLane, unwrap } from '../../lane/client'
import { ProblemError } from '../../problem'
import { followedLanes } from '../follows'
import { clawKey } from '../keys'
import { allow, type Method, type MethodContext, method, openSession } from './context'

const Id = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'is not an approval id')
const Decision = z.enum(['allow-once', 'allow-always', 'deny'])
const Key = z.string().min(1).max(300)

const view = (lane: LaneHandle, a: ApprovalView) => ({
	id: a.id,
	kind: 'exec',
	sessionKey: clawKey(lane.ref),
	runId: a.runId,
	status: a.status === 'allowed' ? 'allowed' : a.status,
	request: { tool: a.tool, args: a.args },
	createdAtMs: a.createdAt,
	expiresAtMs: a.deadlineAt,
	...(a.decidedAt !== null && { resolvedAtMs: a.decidedAt, resolvedBy: a.decidedBy }),
})

/** OpenClaw's own error for an approval this connection cannot find. */
const unknownApproval = (id: string) =>
	new ProblemError('not_found', `unknown approval: ${id}`, {
		extensions: { reason: 'approval_not_found' },
	})

/** The lane holding an approval: remembered from its event, or named by `sessionKey`. */
async function laneOfApproval(
	ctx: MethodContext,
	action: string,
	id: string,
	sessionKey?: string,
): Promise<LaneHandle> {
	if (sessionKey) return (await openSession(ctx, action, sessionKey)).lane
	const name = ctx.kv.get<string>(`approval:${id}`)
	const ref = name ? parseLaneName(name) : undefined
	if (!ref || ref.tenantId !== ctx.principal.tenantId) {
		throw unknownApproval(id)
	}
	await allow(ctx, action, 'session', ref.sessionKey)
	return openLane(ctx.env, ref.tenantId, ref.sessionKey, ref.agentId)
}

const list = method({
	scope: 'operator.approvals',
	params: z.object({ sessionKey: Key.optional() }).loose(),
	async handle(ctx, p) {
		const lanes: LaneHandle[] = []
		if (p.sessionKey) lanes.push((await openSession(ctx, 'sessions:read', p.sessionKey)).lane)
		else {
			// Without a session: the sessions this connection follows.
			for (const [, f] of followedLanes(ctx.kv)) {
				await allow(ctx, 'sessions:read', 'session', f.sessionKey)
				lanes.push(await openLane(ctx.env, ctx.principal.tenantId, f.sessionKey, f.agentId))
			}
		}
		const approvals = []
		for (const lane of lanes) {
			const r = (await lane.stub.listApprovals(100)) as LaneResult<{ approvals: ApprovalView[] }>
			if (!r.ok) continue
			for (const a of r.value.approvals) if (a.status === 'pending') approvals.push(view(lane, a))
		}
		return { approvals }
	},
})

const get = method({
	scope: 'operator.approvals',
	params: z.object({ id: Id, sessionKey: Key.optional() }).loose(),
	async handle(ctx, p) {
		const lane = await laneOfApproval(ctx, 'sessions:read', p.id, p.sessionKey)
		const r = unwrap(
			(await lane.stub.listApprovals(200)) as LaneResult<{ approvals: ApprovalView[] }>,
		)
		const found = r.approvals.find((a) => a.id === p.id)
		if (!found) throw unknownApproval(p.id)
		return view(lane, found)
	},
})

const resolve = method({
	scope: 'operator.approvals',
	params: z
		.object({ id: Id, decision: Decision, sessionKey: Key.optional(), kind: z.string().optional() })
		.loose(),
	async handle(ctx, p) {
		const lane = await laneOfApproval(ctx, 'sessions:approve', p.id, p.sessionKey)
		const result = (await lane.stub.decideApproval(
			p.id,
			p.decision,
			actorOf(ctx.principal),
		)) as LaneResult<ApprovalView>
		if (!result.ok && result.error.code === 'not_found') throw unknownApproval(p.id)
		const decided = unwrap(result)
		ctx.audit('tool.approval_decided', `session:${lane.ref.agentId}/${lane.ref.sessionKey}`, {
			approval: p.id,
			decision: p.decision,
			principals: decided.principals,
		})
		return { ok: true, ...view(lane, decided), decision: p.decision }
	},
})

export const approvalMethods: Record<string, Method> = {
	'exec.approval.list': list,
	'exec.approval.get': get,
	'exec.approval.resolve': resolve,
	'approval.get': get,
	'approval.resolve': resolve,
}
