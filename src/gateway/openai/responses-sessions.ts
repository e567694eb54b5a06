// Where a response lives: the session and run its id names (looked up in the caller's tenant and
// authorised on that session), and the session a new response goes to — the previous response's,
// the header's, one per `user`, or a new one (ephemeral only with `store: false`).
import type { Context } from 'hono'
import type { LaneResult, RunView } from '../../lanes/types'
import { authorizeRule } from '../authz'
import type { GatewayEnv } from '../context'
import { callLane, type LaneHandle, openLane } from '../lane/client'
import { ProblemError } from '../problem'
import { badParam } from './errors'
import { modelIdOf, SESSION_HEADER, sessionKeyFor } from './names'
import { parseResponseId, type ResponseRef, responseIdOf } from './responses-ids'
import type { InputResolver } from './responses-input'
import type { ResponseCreateRequest } from './responses-schemas'

export const responseNotFound = (id: string) =>
	new ProblemError('not_found', `No response with id "${id.slice(0, 600)}" was found.`, {
		extensions: { param: 'response_id' },
	})

export const previousNotFound = (id: string) =>
	badParam(
		'previous_response_id',
		`Previous response with id "${id.slice(0, 600)}" not found.`,
		'previous_response_not_found',
	)

/** The lane of a response id, for the caller's tenant; 404 for anything it does not hold. */
export async function laneOf(
	c: Context<GatewayEnv>,
	id: string,
	action: 'sessions:read' | 'sessions:cancel',
): Promise<{ ref: ResponseRef; lane: LaneHandle }> {
	const ref = parseResponseId(id)
	if (!ref) throw responseNotFound(id)
	await authorizeRule(
		c,
		{ action, resource: 'session', param: 'sessionKey' },
		{ sessionKey: ref.sessionKey },
	)
	try {
		return {
			ref,
			lane: await openLane(c.env, c.get('principal').tenantId, ref.sessionKey, ref.agentId),
		}
	} catch (error) {
		if (error instanceof ProblemError && error.code === 'not_found') throw responseNotFound(id)
		throw error
	}
}

/** The stored run of a response, or undefined (no such session or run). */
export async function runOf(c: Context<GatewayEnv>, lane: LaneHandle, runId: string) {
	const result = await callLane(c.get('logger'), async () => ({
		ok: true as const,
		value: (await lane.stub.getRun(runId)) as LaneResult<RunView>,
	}))
	return result.ok ? result.value : undefined
}

/** Earlier answers named by `item_reference`: read from their own sessions, as the caller may. */
export const resolverFor = (c: Context<GatewayEnv>): InputResolver => ({
	async answerOf(ref) {
		try {
			const { lane } = await laneOf(c, responseIdOf(ref), 'sessions:read')
			const run = await runOf(c, lane, ref.runId)
			return run?.status === 'succeeded' ? (run.output ?? '') : undefined
		} catch (error) {
			if (error instanceof ProblemError && error.code === 'not_found') return undefined
			throw error
		}
	},
})

/** Hex of the SHA-256 of a string. */
async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The session of a new response: the previous response's (the header, if sent, must agree),
 * else the header's, else one per `user`, else a new one — ephemeral only with `store: false`.
 * A new session is named after the request's idempotency key (and who sent it) when it has one,
 * so that a retry reaches the session where the key is known, and gets the same response back.
 */
export async function sessionOf(
	body: ResponseCreateRequest,
	agentId: string,
	header: string | undefined,
	idempotency: { key: string; by: string } | undefined,
): Promise<{ sessionKey: string; ephemeral: boolean; previous?: ResponseRef }> {
	const previousId = body.previous_response_id
	if (previousId) {
		const previous = parseResponseId(previousId)
		if (!previous) throw previousNotFound(previousId)
		if (previous.agentId !== agentId) {
			throw badParam(
				'model',
				`The previous response is of model "${modelIdOf(previous.agentId)}": a session keeps its agent.`,
				'invalid_value',
			)
		}
		if (header !== undefined && header !== previous.sessionKey) {
			throw badParam(
				SESSION_HEADER,
				'The x-edgeclaw-session header names another session than previous_response_id.',
				'invalid_value',
			)
		}
		return { sessionKey: previous.sessionKey, ephemeral: false, previous }
	}
	const { sessionKey, source } = await sessionKeyFor(header, body.user)
	if (source !== 'ephemeral') return { sessionKey, ephemeral: false }
	const named =
		idempotency === undefined
			? sessionKey
			: `openai-key-${(await sha256Hex(`${idempotency.by}\n${idempotency.key}`)).slice(0, 32)}`
	return { sessionKey: named, ephemeral: body.store === false }
}
