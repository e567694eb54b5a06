// Tool approvals, as OpenClaw's exec approvals: a tool call that needs a human shows up as
// `exec.approval.requested` on connections following its session; `exec.approval.resolve` (or
// the kind-agnostic `approval.resolve`) decides it with OpenClaw's own decisions, which are
// edgeclaw's: allow-once, allow-always, deny. Listing without a session, and resolving by id
// alone, reach the whole tenant (`openclaw approvals pending` / `resolve <id>` from any client).
// A run id is the client's own name for the run (its idempotencyKey) wherever it has one, as in
// the run's events. Lists are arrays, as OpenClaw's clients read them; edgeclaw has no plugin or
// system-agent approvals, so `plugin.approval.list` and `openclaw.approval.list` are empty.
import { z } from 'zod'
import { parseLaneName } from '../../../lanes/name'
import type { ApprovalView } from '../../../lanes/tool-store'
import type { LaneResult } from '../../../lanes/types'
import { actorOf, type SessionRef } from '../../../security/subject'
import { tenantPendingApprovals } from '../../lane/approvals'
import { type LaneHandle, openLane, unwrap } from '../../lane/client'
import { ProblemError } from '../../problem'
import { approvalRequest } from '../events'
import { type ClawSession, clawKey } from '../keys'
import { allow, type Method, type MethodContext, method, openSession } from './context'

const Id = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'is not an approval id')
const Decision = z.enum(['allow-once', 'allow-always', 'deny'])
const Key = z.string().min(1).max(300)

/** The run's name as this connection knows it: the client's idempotencyKey, else the lane's id. */
const runName = (ctx: MethodContext, laneRunId: string) =>
	ctx.kv.get<string>(`alias:${laneRunId}`) ?? laneRunId

const view = (ctx: MethodContext, ref: ClawSession, a: ApprovalView) => ({
	id: a.id,
	kind: 'exec',
	sessionKey: clawKey(ref),
	runId: runName(ctx, a.runId),
	status: a.status === 'allowed' ? 'allowed' : a.status,
	request: approvalRequest(
		a.tool,
		a.args,
		{ key: clawKey(ref), agentId: ref.agentId },
		runName(ctx, a.runId),
	),
	createdAtMs: a.createdAt,
	expiresAtMs: a.deadlineAt,
	...(a.decidedAt !== null && { resolvedAtMs: a.decidedAt, resolvedBy: a.decidedBy }),
})

/** OpenClaw's own error for an approval this connection cannot find. */
const unknownApproval = (id: string) =>
	new ProblemError('not_found', `unknown approval: ${id}`, {
		extensions: { reason: 'approval_not_found' },
	})

/** Tenant-wide pending approvals, as many sessions as the list route reads at most. */
const TENANT_SESSIONS = 100

/**
 * The lane holding an approval: named by `sessionKey`, remembered from its event on this
 * connection, or found among the tenant's pending approvals (by id alone, from any client).
 */
async function laneOfApproval(
	ctx: MethodContext,
	action: string,
	id: string,
	sessionKey?: string,
): Promise<LaneHandle> {
	if (sessionKey) return (await openSession(ctx, action, sessionKey)).lane
	const name = ctx.kv.get<string>(`approval:${id}`)
	let ref: SessionRef | undefined = name ? parseLaneName(name) : undefined
	if (ref && ref.tenantId !== ctx.principal.tenantId) ref = undefined
	if (!ref) {
		const pending = await tenantPendingApprovals(ctx.env, ctx.principal, ctx.logger, {
			limit: TENANT_SESSIONS,
		})
		const hit = pending.find((a) => a.id === id)
		if (!hit) throw unknownApproval(id)
		ref = { tenantId: ctx.principal.tenantId, agentId: hit.agentId, sessionKey: hit.sessionKey }
	}
	await allow(ctx, action, 'session', ref.sessionKey)
	return openLane(ctx.env, ref.tenantId, ref.sessionKey, ref.agentId)
}

/** Pending approvals, as OpenClaw lists them: an array (its CLI and Control UI read nothing else). */
const list = method({
	scope: 'operator.approvals',
	params: z.object({ sessionKey: Key.optional() }).loose(),
	async handle(ctx, p) {
		if (p.sessionKey) {
			const { lane } = await openSession(ctx, 'sessions:read', p.sessionKey)
			const r = (await lane.stub.listApprovals(100)) as LaneResult<{ approvals: ApprovalView[] }>
			const pending = r.ok ? r.value.approvals.filter((a) => a.status === 'pending') : []
			return pending.map((a) => view(ctx, lane.ref, a))
		}
		// Without a session: every session of the tenant the caller may read.
		const pending = await tenantPendingApprovals(ctx.env, ctx.principal, ctx.logger, {
			limit: TENANT_SESSIONS,
		})
		return pending.map((a) => view(ctx, { agentId: a.agentId, sessionKey: a.sessionKey }, a))
	},
})

/**
 * Approval kinds edgeclaw does not have — plugin approvals, and OpenClaw's own system-agent
 * (`openclaw.*`) approvals: honestly empty lists. Tool approvals are all exec approvals, so
 * `openclaw approvals pending` (which reads all three lists) shows each once.
 */
const noneOfThisKind = method({
	scope: 'operator.approvals',
	params: z.object({}).loose(),
	async handle() {
		return []
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
		return view(ctx, lane.ref, found)
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
		return { ok: true, ...view(ctx, lane.ref, decided), decision: p.decision }
	},
})

export const approvalMethods: Record<string, Method> = {
	'exec.approval.list': list,
	'openclaw.approval.list': noneOfThisKind,
	'plugin.approval.list': noneOfThisKind,
	'exec.approval.get': get,
	'exec.approval.resolve': resolve,
	'approval.get': get,
	'approval.resolve': resolve,
}
