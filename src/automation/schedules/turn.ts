// The seam automation uses to put a turn into a session lane outside any request (a schedule's
// fire, later a heartbeat): the agent's config snapshot and the tenant's limits from D1, the daily
// budget, then the lane's own `send` — the same RPC every front door uses, so the tenant gate,
// queue modes and idempotency apply as they do to any message.
import { resolveAgent } from '../../agents/lookup'
import { type Db, database } from '../../db/client'
import { findDevice } from '../../db/devices'
import { findKey } from '../../db/keys'
import { tenantState } from '../../db/tenants'
import { cachedTokensUsed, utcDay } from '../../db/usage'
import { laneName } from '../../lanes/name'
import type { ReplyRoute, RunView } from '../../lanes/types'
import { isFinished } from '../../lanes/types'
import type { SessionRef, ToolSubject } from '../../security/subject'

export interface TurnRequest {
	session: SessionRef
	message: string
	subject: ToolSubject
	/** Makes a repeated submit of the same fire (after a restart) return the first run. */
	idempotencyKey: string
	reply?: ReplyRoute
}

export type Submitted =
	| { ok: true; runId: string; final?: RunView }
	/** `permanent`: retrying the same submit cannot succeed (no agent, no tenant, refused input). */
	| { ok: false; error: string; permanent: boolean }

export type TurnEnv = Pick<Env, 'DB' | 'SESSION_LANE'>

/** Submits the turn and waits up to `waitMs` for it to end (`final` set when it did). */
export async function submitTurn(
	env: TurnEnv,
	req: TurnRequest,
	waitMs: number,
): Promise<Submitted> {
	const db = database(env.DB)
	const { tenantId, agentId } = req.session
	const [state, agent] = await Promise.all([
		tenantState(db, tenantId),
		resolveAgent(db, tenantId, agentId),
	])
	if (!state) return { ok: false, error: `tenant ${tenantId} does not exist`, permanent: true }
	if (state.status !== 'active') {
		return { ok: false, error: `tenant ${tenantId} is ${state.status}`, permanent: true }
	}
	const tenant = state.limits
	if (!agent) return { ok: false, error: `agent ${agentId} does not exist`, permanent: true }
	const revoked = await credentialGone(db, req.subject, Date.now())
	if (revoked) return { ok: false, error: revoked, permanent: true }
	if (tenant.dailyTokenBudget !== null) {
		const used = await cachedTokensUsed(db, tenantId, utcDay(Date.now()))
		if (used >= tenant.dailyTokenBudget) {
			return {
				ok: false,
				error: `the tenant's daily token budget is used up (${used} of ${tenant.dailyTokenBudget})`,
				permanent: true,
			}
		}
	}
	const stub = env.SESSION_LANE.getByName(laneName(req.session))
	const result = await stub.send(
		{
			session: req.session,
			agent,
			content: [{ type: 'text', text: req.message }],
			mode: 'followup',
			idempotencyKey: req.idempotencyKey,
			maxConcurrentRuns: tenant.maxConcurrentRuns,
			subject: req.subject,
			...(req.reply && { reply: req.reply }),
		},
		waitMs > 0 ? { waitMs } : {},
	)
	if (!result.ok) {
		const { code, message } = result.error
		const permanent = code === 'bad_request' || code === 'not_found'
		return { ok: false, error: `${code}: ${message}`.slice(0, 500), permanent }
	}
	const { run, final } = result.value
	return { ok: true, runId: run.runId, ...(final && isFinished(final.status) && { final }) }
}

/**
 * Why the credential a turn acts for no longer holds (revoked or expired key, unpaired device),
 * or undefined while it does: automation acts for whoever wrote it, never for longer than their
 * credential lives. A JWT's subject is not checkable here (its token is not stored); the
 * platform admin and channel senders have no credential row.
 */
export async function credentialGone(
	db: Db,
	subject: ToolSubject,
	now: number,
): Promise<string | undefined> {
	if (subject.kind === 'api-key') {
		const key = await findKey(db, subject.id)
		if (!key || key.tenantId !== subject.tenantId)
			return `the API key key:${subject.id} it acts for no longer exists`
		if (key.revokedAt) return `the API key key:${subject.id} it acts for was revoked`
		if (key.expiresAt && key.expiresAt.getTime() <= now)
			return `the API key key:${subject.id} it acts for has expired`
	}
	if (subject.kind === 'device') {
		const device = await findDevice(db, subject.id)
		if (!device || device.tenantId !== subject.tenantId || device.status !== 'paired')
			return `the device device:${subject.id} it acts for is no longer paired`
	}
	return undefined
}

/** The run once it ended within `waitMs`; undefined while it still runs. */
export async function awaitTurn(
	env: TurnEnv,
	session: SessionRef,
	runId: string,
	waitMs: number,
): Promise<RunView | { gone: string } | undefined> {
	const result = await env.SESSION_LANE.getByName(laneName(session)).waitRun(runId, waitMs)
	if (!result.ok) return { gone: `${result.error.code}: ${result.error.message}` }
	return isFinished(result.value.status) ? result.value : undefined
}
