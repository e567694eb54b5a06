// What a method handler gets, and the helpers every family shares: the policy check (the same
// engine and rules as the HTTP routes), opening a session's lane from an OpenClaw key, and
// following a lane so its events reach this connection.
import type { z } from 'zod'
import { laneName } from '../../../lanes/name'
import type { Logger } from '../../../observability/logger'
import { accessRequest, decide } from '../../authz'
import type { Principal } from '../../context'
import { findLane, type LaneHandle } from '../../lane/client'
import { asFollower, type FollowState, type RunTrack } from '../events'
import { type ClawSession, clawKey, parseClawKey } from '../keys'
import { MethodError } from '../protocol'
import type { Scope } from '../scopes'

/** The connection's own storage (synchronous key-value, as a Durable Object's `storage.kv`). */
export interface KeyValue {
	get<T = unknown>(key: string): T | undefined
	put<T>(key: string, value: T): void
	delete(key: string): boolean
	list<T = unknown>(options?: { prefix?: string }): Iterable<[string, T]>
}

export interface MethodContext {
	env: Env
	connId: string
	principal: Principal
	scopes: Scope[]
	connectedAt: number
	now(): number
	kv: KeyValue
	logger: Logger
	runs: Map<string, RunTrack>
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

/** Most sessions one connection follows; the longest-followed is dropped beyond it. */
export const MAX_FOLLOWS = 64

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
	throw new MethodError('FORBIDDEN', `not allowed to ${action}: ${decision.reason}`, {
		details: { code: 'POLICY_DENIED', action, policy: decision.policyId },
	})
}

/** The session an OpenClaw key names; `agentId` picks the agent of a bare key. */
export function sessionOf(key: string, agentId?: string): ClawSession {
	const parsed = parseClawKey(key)
	if (!parsed) {
		throw new MethodError('INVALID_REQUEST', `invalid session key: ${key}`, {
			details: { code: 'INVALID_SESSION_KEY' },
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
	const lane = await findLane(ctx.env, ctx.principal.tenantId, session.sessionKey, session.agentId)
	return { session, lane }
}

/** Starts (or updates) following a lane: its events now reach this connection. */
export async function follow(
	ctx: MethodContext,
	lane: LaneHandle,
	options: { messages?: boolean } = {},
): Promise<FollowState> {
	const name = laneName(lane.ref)
	const existing = ctx.kv.get<FollowState>(`follow:${name}`)
	const state: FollowState = {
		key: clawKey(lane.ref),
		agentId: lane.ref.agentId,
		sessionKey: lane.ref.sessionKey,
		messages: options.messages ?? existing?.messages ?? false,
		since: existing?.since ?? ctx.now(),
	}
	ctx.kv.put(`follow:${name}`, state)
	if (!existing) {
		await lane.stub.follow(asFollower(ctx.connId))
		const all = [...ctx.kv.list<FollowState>({ prefix: 'follow:' })]
		if (all.length > MAX_FOLLOWS) {
			const [oldest] = all.sort((a, b) => a[1].since - b[1].since)
			if (oldest) await unfollow(ctx, oldest[0].slice('follow:'.length))
		}
	}
	return state
}

export async function unfollow(ctx: MethodContext, name: string): Promise<void> {
	ctx.kv.delete(`follow:${name}`)
	await ctx.env.SESSION_LANE.getByName(name).unfollow(asFollower(ctx.connId))
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
