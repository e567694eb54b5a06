// The seam every front door uses to reach a session: resolve the agent (cached), address the lane
// by tenant/agent/key, hold new runs to the tenant's budget, and turn lane results and RPC
// failures into problems. Free of Hono: the native routes, the OpenAI-compatible API and the
// OpenClaw gateway (which has no request) call it alike, each with its own logger.
import { resolveAgent } from '../../agents/lookup'
import type { AgentSnapshot } from '../../agents/runner'
import { database } from '../../db/client'
import { tenantLimits } from '../../db/tenants'
import { cachedTokensUsed, secondsToUtcMidnight, utcDay } from '../../db/usage'
import { laneName } from '../../lanes/name'
import type { LaneErrorCode, LaneResult } from '../../lanes/types'
import type { Logger } from '../../observability/logger'
import { formatTraceparent, type TraceContext } from '../../observability/trace'
import type { SessionRef, ToolSubject } from '../../security/subject'
import type { Principal } from '../context'
import { type ProblemCode, ProblemError } from '../problem'

/** A session lane's RPC stub, typed by its binding (the gateway does not import the shell). */
export type LaneStub = ReturnType<Env['SESSION_LANE']['getByName']>

export interface LaneHandle {
	ref: SessionRef
	agent: AgentSnapshot
	/** The tenant's cap on concurrently running turns (null = none). */
	maxConcurrentRuns: number | null
	/** The tenant's daily token budget (null = unlimited). */
	dailyTokenBudget: number | null
	stub: LaneStub
}

/** The tenant's session of `agentId` under `sessionKey`; 404 when the tenant or agent does not exist. */
export async function openLane(
	env: Env,
	tenantId: string,
	sessionKey: string,
	agentId: string,
): Promise<LaneHandle> {
	const db = database(env.DB)
	const [tenant, agent] = await Promise.all([
		tenantLimits(db, tenantId),
		resolveAgent(db, tenantId, agentId),
	])
	if (!tenant) throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
	if (!agent) throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
	const ref: SessionRef = { tenantId, agentId, sessionKey }
	return {
		ref,
		agent,
		maxConcurrentRuns: tenant.maxConcurrentRuns,
		dailyTokenBudget: tenant.dailyTokenBudget,
		stub: env.SESSION_LANE.getByName(laneName(ref)),
	}
}

/** Who a run acts for: the caller, as the tools' policy checks see them. */
export const subjectOf = (p: Principal, channel = 'api'): ToolSubject => ({
	kind: p.kind,
	id: p.id,
	role: p.role,
	tenantId: p.tenantId,
	scopes: p.scopes,
	channel,
})

/** The `traceparent` a submit carries for the request's trace (nothing with telemetry off). */
export const traceparentOf = (trace: TraceContext | undefined): { traceparent?: string } =>
	trace ? { traceparent: formatTraceparent(trace) } : {}

/**
 * Refuses new runs once the tenant's daily token budget is used up (429 until UTC midnight).
 * Usage is read through a 5 s per-isolate cache and lands in D1 within seconds of each call, so
 * a tenant can overrun its budget by the turns of those few seconds; never by more.
 */
export function checkBudget(env: Env, lane: LaneHandle): Promise<void> {
	return checkTenantBudget(env, lane.ref.tenantId, lane.dailyTokenBudget, 'new runs resume')
}

/** The same check for any model call of the tenant (`dailyTokenBudget` null = unlimited). */
export async function checkTenantBudget(
	env: Env,
	tenantId: string,
	dailyTokenBudget: number | null,
	resume = 'model calls resume',
): Promise<void> {
	if (dailyTokenBudget === null) return
	const now = Date.now()
	const used = await cachedTokensUsed(database(env.DB), tenantId, utcDay(now))
	if (used < dailyTokenBudget) return
	throw new ProblemError(
		'budget_exhausted',
		`Tenant "${tenantId}" used ${used} of its ${dailyTokenBudget} tokens today (UTC); ${resume} at midnight UTC.`,
		{ headers: { 'retry-after': String(secondsToUtcMidnight(now)) } },
	)
}

const CODES: Record<LaneErrorCode, ProblemCode> = {
	not_found: 'not_found',
	queue_full: 'queue_full',
	session_full: 'session_full',
	conflict: 'conflict',
	bad_request: 'bad_request',
	approval_self_denied: 'approval_self_denied',
	restore_unsupported: 'restore_unsupported',
}

/** Unwraps a lane result, throwing its error as a problem. */
export function unwrap<T>(result: LaneResult<T>): T {
	if (result.ok) return result.value
	const { code, message, retryAfterSeconds } = result.error
	throw new ProblemError(CODES[code] ?? 'bad_request', message, {
		...(retryAfterSeconds !== undefined && {
			headers: { 'retry-after': String(retryAfterSeconds) },
		}),
	})
}

/**
 * Calls a lane method and unwraps its result. An RPC failure (lane restarting, overloaded) is
 * logged and becomes a retryable 503. A method whose failure is an answer, not an error, is
 * passed through whole by wrapping its result: `callLane(logger, async () => ok(await …))`.
 */
export async function callLane<T>(
	logger: Logger,
	call: () => PromiseLike<LaneResult<T>>,
): Promise<T> {
	return unwrap(await reach(logger, async () => (await call()) as LaneResult<T>))
}

/**
 * Opens the lane's event stream (`/events` SSE, `/ws` WebSocket), also of a session that has no
 * message yet; a 404 from the lane (a path it does not serve) stays a 404.
 */
export async function openEventStream(
	logger: Logger,
	lane: LaneHandle,
	url: string,
	init?: RequestInit,
): Promise<Response> {
	const res = await reach(logger, () => lane.stub.fetch(url, init))
	if (res.status === 404) throw new ProblemError('not_found', 'No such session.')
	return res
}

async function reach<R>(logger: Logger, call: () => Promise<R>): Promise<R> {
	try {
		return await call()
	} catch (cause) {
		logger.error('lane.rpc_failed', { error: cause })
		throw new ProblemError(
			'lane_unavailable',
			'The session lane did not answer; retry (with the same idempotencyKey, it is safe).',
			{ headers: { 'retry-after': '1' }, cause },
		)
	}
}
