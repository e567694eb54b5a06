// The `group:sessions` tools' capability for one run: spawn a child session (limits first, then
// the child lane gets the task as its first message, linked back to this session), message a
// child, list the children, read a child's transcript. Only this session's own children are
// reachable; refusals are tool errors with stable codes.
import type { RunRecord } from '../../lanes/store'
import type { RunView } from '../../lanes/types'
import type { SessionRef } from '../../security/subject'
import { NO_SUBJECT } from '../../tools/policy'
import { ToolError } from '../../tools/registry'
import type { ChildRunStarted, ChildSession, SessionsPort } from '../../tools/sessions'
import { parentLink, type SubagentLaneContext } from './context'
import { childKey, effectiveMaxDepth, spawnRefusal } from './keys'
import type { SubagentParent } from './parent'
import type { RemoteLane, SubagentHost } from './ports'
import { historyEntries } from './render'

/** A waiting spawn gives up this long before its run's deadline, so the run can still answer. */
export const WAIT_MARGIN_MS = 5_000
/** One wait on the child lane lasts at most this (the lane's own cap); longer waits repeat. */
const WAIT_SLICE_MS = 15 * 60_000
/** Children whose end has not come back count as open this long at most. */
export const OPEN_CHILD_WINDOW_MS = 24 * 60 * 60_000

const isFinished = (status: string) =>
	status === 'succeeded' || status === 'failed' || status === 'cancelled'

export function sessionsPort(
	c: SubagentLaneContext,
	parent: SubagentParent,
	run: RunRecord,
	call: { callId: string; signal: AbortSignal },
): SessionsPort {
	const ports = (): SubagentHost => {
		if (!c.host.subagents) {
			throw new ToolError('sessions_unavailable', 'This deployment cannot reach other sessions.')
		}
		return c.host.subagents
	}
	const self = (): SessionRef => {
		const session = c.store.session()
		if (!session) throw new ToolError('sessions_unavailable', 'The session is gone.')
		return session
	}
	const subject = run.subject ?? { ...NO_SUBJECT, tenantId: run.agent.tenantId }
	const ownChild = (sessionKey: string) => {
		const child = c.subagents.child(sessionKey)
		if (!child) {
			throw new ToolError(
				'subagent_not_child',
				`"${sessionKey}" is not a child session of this session.`,
			)
		}
		return child
	}
	const laneOf = (session: SessionRef, agentId: string, sessionKey: string): RemoteLane =>
		ports().lane({ tenantId: session.tenantId, agentId, sessionKey })

	return {
		async spawn(args) {
			const session = self()
			const host = ports()
			const config = run.agent.config.subagents
			const link = parentLink(c.store)
			const depth = link?.depth ?? 0
			const maxDepth = effectiveMaxDepth(config, link?.maxDepth)
			const agentId = args.agent ?? session.agentId
			const now = c.host.now()
			const refusal = spawnRefusal(config, {
				depth,
				maxDepth,
				self: session.agentId,
				agent: agentId,
				open: c.subagents.openChildren(now - OPEN_CHILD_WINDOW_MS),
			})
			if (refusal) throw new ToolError(refusal.code, refusal.message)
			const agent =
				agentId === run.agent.id ? run.agent : await host.loadAgent(session.tenantId, agentId)
			if (!agent) {
				throw new ToolError('subagent_agent_not_found', `No agent "${agentId}" in this tenant.`)
			}
			const sessionKey = childKey(session.sessionKey, c.host.newId())
			if (!sessionKey) {
				throw new ToolError(
					'subagent_key_too_long',
					"This session's key is too long to nest under.",
				)
			}
			const child = { tenantId: session.tenantId, agentId, sessionKey }
			const label = args.label ?? null
			// A waiting parent is blocked on its child, holding its tenant slot: the child runs on that
			// slot (past the gate), so a small concurrency cap cannot deadlock the two.
			const gateLimit = args.wait ? null : run.gateLimit
			c.tx(() =>
				c.subagents.addChild({
					sessionKey,
					agentId,
					label,
					depth: depth + 1,
					subject,
					gateLimit: run.gateLimit,
					createdAt: now,
				}),
			)
			const release = args.wait ? parent.hold(sessionKey) : () => {}
			try {
				const sent = await host.lane(child).send({
					session: child,
					agent,
					content: [{ type: 'text', text: args.task }],
					mode: 'followup',
					idempotencyKey: `spawn:${run.id}:${call.callId}`,
					maxConcurrentRuns: gateLimit,
					subject,
					...(run.trace && { traceparent: run.trace }),
					parent: { session, depth: depth + 1, maxDepth, label },
				})
				if (!sent.ok) {
					c.tx(() => c.subagents.removeChild(sessionKey))
					throw new ToolError(
						'subagent_refused',
						`The child session refused the task: ${sent.error.message}`,
					)
				}
				const childRunId = sent.value.run.runId
				c.tx(() => {
					c.subagents.addRun({ runId: childRunId, sessionKey, parentRunId: run.id, createdAt: now })
					c.emit('subagent.spawned', run.id, {
						sessionKey,
						agentId,
						childRunId,
						label,
						depth: depth + 1,
						wait: args.wait === true,
					})
				})
				if (!args.wait) return { runId: childRunId, sessionKey, status: 'queued' }
				return await awaitChild(
					c,
					host.lane(child),
					run,
					childRunId,
					sessionKey,
					call.signal,
					release,
				)
			} catch (error) {
				if (error instanceof ToolError) throw error
				call.signal.throwIfAborted()
				c.tx(() => {
					if (!c.subagents.lastRunOf(sessionKey)) c.subagents.removeChild(sessionKey)
				})
				throw new ToolError(
					'subagent_unreachable',
					`The child session could not be reached: ${String(error)}`,
					{
						cause: error,
					},
				)
			} finally {
				release()
			}
		},

		async send(args) {
			const session = self()
			const child = ownChild(args.sessionKey)
			const ref = {
				tenantId: session.tenantId,
				agentId: child.agentId,
				sessionKey: child.sessionKey,
			}
			const agent =
				child.agentId === run.agent.id
					? run.agent
					: await ports().loadAgent(session.tenantId, child.agentId)
			if (!agent)
				throw new ToolError(
					'subagent_agent_not_found',
					`No agent "${child.agentId}" in this tenant.`,
				)
			const sent = await ports()
				.lane(ref)
				.send({
					session: ref,
					agent,
					content: [{ type: 'text', text: args.message }],
					mode: 'followup',
					idempotencyKey: `send:${run.id}:${call.callId}`,
					maxConcurrentRuns: run.gateLimit,
					subject,
					...(run.trace && { traceparent: run.trace }),
					// A child deleted meanwhile is created again, still linked to this session.
					parent: {
						session,
						depth: child.depth,
						maxDepth: effectiveMaxDepth(run.agent.config.subagents, parentLink(c.store)?.maxDepth),
						label: child.label,
					},
				})
			if (!sent.ok)
				throw new ToolError(
					'subagent_refused',
					`The child session refused the message: ${sent.error.message}`,
				)
			const childRunId = sent.value.run.runId
			c.tx(() =>
				c.subagents.addRun({
					runId: childRunId,
					sessionKey: child.sessionKey,
					parentRunId: run.id,
					createdAt: c.host.now(),
				}),
			)
			return { runId: childRunId, sessionKey: child.sessionKey, status: sent.value.run.status }
		},

		async list(): Promise<ChildSession[]> {
			return c.subagents.children().map((child) => {
				const last = c.subagents.lastRunOf(child.sessionKey)
				return {
					sessionKey: child.sessionKey,
					agent: child.agentId,
					label: child.label,
					depth: child.depth,
					createdAt: child.createdAt,
					lastRun: last ? { runId: last.runId, status: last.status } : null,
				}
			})
		},

		async history(args) {
			const session = self()
			const child = ownChild(args.sessionKey)
			const result = await laneOf(session, child.agentId, child.sessionKey).tailMessages(args.limit)
			if (!result.ok) {
				if (result.error.code === 'not_found') return []
				throw new ToolError('subagent_unreachable', result.error.message)
			}
			return historyEntries(result.value)
		},
	}
}

/**
 * Waits for a spawned child's run, until the parent run's deadline (less a margin) or its cancel.
 * The answer comes from the child's run, or from its announce when that arrived first (a waiting
 * spawn holds the child, so its announce is recorded for this call instead of queued as a turn).
 */
async function awaitChild(
	c: SubagentLaneContext,
	lane: RemoteLane,
	run: RunRecord,
	childRunId: string,
	sessionKey: string,
	signal: AbortSignal,
	release: () => void,
): Promise<ChildRunStarted> {
	const deadline = (c.store.runs.get(run.id)?.deadlineAt ?? c.host.now()) - WAIT_MARGIN_MS
	let view: RunView | undefined
	const aborted = new Promise<never>((_, reject) => {
		if (signal.aborted) reject(signal.reason)
		signal.addEventListener('abort', () => reject(signal.reason), { once: true })
	})
	aborted.catch(() => {})
	try {
		for (;;) {
			const left = deadline - c.host.now()
			if (left <= 0) break
			const waited = await Promise.race([
				lane.waitRun(childRunId, Math.min(left, WAIT_SLICE_MS)),
				aborted,
			])
			if (!waited.ok) break
			view = waited.value
			if (isFinished(view.status)) break
		}
	} catch (error) {
		signal.throwIfAborted()
		c.host.logger.warn('subagent.wait_failed', { childRunId, error })
	}
	// From here on, an announce of this child is queued for the next turn, not swallowed.
	release()
	const announced = c.subagents.run(childRunId)
	if (announced?.announcedAt != null) {
		return {
			runId: childRunId,
			sessionKey,
			status: announced.status,
			output: announced.output,
			error: announced.error,
		}
	}
	if (view && isFinished(view.status)) {
		// Its announce is still on the way: recorded now, it is taken as a duplicate when it comes.
		const session = c.store.session()
		if (session) {
			c.tx(() =>
				c.subagents.recordEnd(
					{
						parent: session,
						child: {
							tenantId: session.tenantId,
							agentId: announcedAgent(c, sessionKey),
							sessionKey,
						},
						runId: childRunId,
						label: null,
						status: view.status as 'succeeded' | 'failed' | 'cancelled',
						output: view.output,
						error: view.error,
						usage: view.usage,
						finishedAt: view.finishedAt ?? c.host.now(),
					},
					c.host.now(),
				),
			)
		}
		return {
			runId: childRunId,
			sessionKey,
			status: view.status,
			output: view.output,
			error: view.error,
		}
	}
	return {
		runId: childRunId,
		sessionKey,
		status: view?.status ?? 'queued',
		output: null,
		error: null,
	}
}

const announcedAgent = (c: SubagentLaneContext, sessionKey: string): string =>
	c.subagents.child(sessionKey)?.agentId ?? ''
