// What a method handler gets, and the helpers every family shares: the policy check (the same
// engine and rules as the HTTP routes), opening a session's lane from an OpenClaw key, and the
// runs a connection started. Following a lane lives in ../follows.ts.
import type { z } from 'zod'
import { laneName } from '../../../lanes/name'
import type { Logger } from '../../../observability/logger'
import type { TraceContext } from '../../../observability/trace'
import { accessRequest, decide } from '../../authz'
import type { Principal } from '../../context'
import { type LaneHandle, openLane } from '../../lane/client'
import { ProblemError } from '../../problem'
import type { RunTrack } from '../events'
import type { KeyValue } from '../host'
import { type ClawSession, parseClawKey } from '../keys'
import type { Scope } from '../scopes'

export interface MethodContext {
	env: Env
	connId: string
	principal: Principal
	scopes: Scope[]
	/** The verified device this connection presented, if any. */
	device?: { id: string; rowId: string }
	connectedAt: number
	now(): number
	kv: KeyValue
	/** The request's trace (each request starts its own; undefined with telemetry off). */
	trace: TraceContext | undefined
	/** Its lines carry the request's trace id. */
	logger: Logger
	runs: Map<string, RunTrack>
	/** Runs work after the answer (audit rows, pairing events). */
	waitUntil(promise: Promise<unknown>): void
	/** Sends an event on this connection; false when the socket is gone. */
	emit(event: string, payload: unknown): boolean
	audit(
		action: string,
		target: string,
		data: Record<string, unknown>,
		outcome?: 'success' | 'deny',
	): void
	/** Sends a second response to the request being handled (two-phase methods like `agent`). */
	respondLater(payload: Promise<unknown>): void
}

export interface Method<P extends z.ZodType = z.ZodType> {
	/** The OpenClaw scope the client must hold. */
	scope: Scope
	params: P
	handle(ctx: MethodContext, params: z.infer<P>): Promise<unknown>
}

export const method = <P extends z.ZodType>(m: Method<P>): Method<P> => m

/** Refuses unless the tenant's policies allow `action` on the resource (FORBIDDEN otherwise). */
export async function allow(
	ctx: MethodContext,
	action: string,
	resource: string,
	id = '*',
): Promise<void> {
	const request = accessRequest(
		ctx.principal,
		{ action, resource, param: 'id' },
		{ id },
		{ method: 'WS' },
	)
	const decision = await decide(ctx.env, request)
	if (decision.effect === 'allow') return
	ctx.audit('authz.denied', request.resource, { action, policy: decision.policyId }, 'deny')
	throw new ProblemError('forbidden', `not allowed to ${action}: ${decision.reason}`, {
		extensions: { reason: 'policy_denied', action, policy: decision.policyId },
	})
}

/** The session an OpenClaw key names; `agentId` picks the agent of a bare key. */
export function sessionOf(key: string, agentId?: string): ClawSession {
	const parsed = parseClawKey(key)
	if (!parsed) {
		throw new ProblemError('bad_request', `invalid session key: ${key}`, {
			extensions: { reason: 'invalid_session_key' },
		})
	}
	if (agentId !== undefined && !key.startsWith('agent:')) return { ...parsed, agentId }
	return parsed
}

/** Authorises `action` on the session, then opens its lane (NOT_FOUND for an unknown agent). */
export async function openSession(
	ctx: MethodContext,
	action: string,
	key: string,
	agentId?: string,
): Promise<{ session: ClawSession; lane: LaneHandle }> {
	const session = sessionOf(key, agentId)
	await allow(ctx, action, 'session', session.sessionKey)
	const lane = await openLane(ctx.env, ctx.principal.tenantId, session.sessionKey, session.agentId)
	return { session, lane }
}

/** Where a run the client knows by its id lives: the lane and the lane's own run id. */
export interface TrackedRun {
	lane: string
	runId: string
}

/**
 * OpenClaw clients know a run by the idempotencyKey they sent (OpenClaw's runId is that key), so
 * the connection maps it to the lane's run both ways: events are relabelled on the way out, and
 * `agent.wait` / `chat.abort` find the lane run.
 */
export function trackRun(
	ctx: MethodContext,
	clientRunId: string,
	laneRunId: string,
	lane: LaneHandle,
): void {
	ctx.kv.put<TrackedRun>(`run:${clientRunId}`, { lane: laneName(lane.ref), runId: laneRunId })
	ctx.kv.put(`alias:${laneRunId}`, clientRunId)
}

export const trackedRun = (ctx: MethodContext, clientRunId: string): TrackedRun | undefined =>
	ctx.kv.get<TrackedRun>(`run:${clientRunId}`)
