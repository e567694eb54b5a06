// OpenClaw's views of edgeclaw sessions and agents, shared by the session, chat and Control UI
// methods: a session row (`SessionRow` of the protocol) from the D1 sessions index, and the
// session defaults of an agent (the model it answers with), which OpenClaw's clients read before
// they render a chat (`sessions.list` → `defaults.modelSelectionTarget`, the TUI's footer).

import { resolveAgent } from '../../../agents/lookup'
import { targetOf } from '../../../agents/models/targets'
import type { AgentSnapshot } from '../../../agents/runner'
import { database } from '../../../db/client'
import type { SessionRow } from '../../../db/sessions'
import { clawKey, DEFAULT_AGENT } from '../keys'
import type { MethodContext } from './context'

/** edgeclaw's lane run states as OpenClaw's session `status`. */
const STATUS = {
	queued: 'queued',
	running: 'running',
	succeeded: 'done',
	failed: 'failed',
	cancelled: 'killed',
} as const

/** One indexed session as OpenClaw's `SessionRow` (with `messageCount` and `hasActiveRun`). */
export function sessionRow(s: SessionRow, agent?: AgentSnapshot | null) {
	const key = clawKey(s)
	const model = agent ? modelOf(agent) : undefined
	return {
		key,
		sessionId: key,
		agentId: s.agentId,
		kind: 'direct' as const,
		chatType: 'direct' as const,
		label: s.sessionKey,
		displayName: s.sessionKey,
		isMain: s.sessionKey === 'main',
		updatedAt: s.updatedAt.getTime(),
		createdAt: s.createdAt.getTime(),
		messageCount: s.messageCount,
		hasActiveRun: s.lastRunStatus === 'running' || s.lastRunStatus === 'queued',
		...(s.lastRunStatus && { status: STATUS[s.lastRunStatus] }),
		...(s.lastRunId && { lastRunId: s.lastRunId }),
		...(model && { model: model.model, modelProvider: model.modelProvider }),
	}
}

/** The agent's primary model as OpenClaw names it: provider id and model id. */
export function modelOf(agent: AgentSnapshot) {
	const ref = agent.config.model.primary
	const target = targetOf(agent.config, ref)
	return {
		ref,
		modelProvider: ref.slice(0, ref.indexOf(':')),
		model: target.modelId,
		contextWindow: target.contextWindow,
	}
}

/**
 * OpenClaw's session defaults for an agent. The model is chosen in the agent's configuration
 * (edgeclaw's agents API), never by a chat client, so `modelSelectionTarget` is `session` and no
 * thinking levels are offered: edgeclaw has no per-message thinking control.
 */
export function sessionDefaults(agent: AgentSnapshot) {
	const m = modelOf(agent)
	return {
		agentId: agent.id,
		modelProvider: m.modelProvider,
		model: m.model,
		contextTokens: Math.min(m.contextWindow, agent.config.limits.contextBudgetTokens),
		contextWindow: m.contextWindow,
		thinkingLevels: [],
		thinkingOptions: [],
		modelSelectionTarget: 'session' as const,
	}
}

/** The agent a request names (the default agent when it names none); null when it does not exist. */
export function agentOf(ctx: MethodContext, agentId: string | undefined) {
	return resolveAgent(database(ctx.env.DB), ctx.principal.tenantId, agentId ?? DEFAULT_AGENT)
}

/**
 * Defaults for the agent a request names, or — when it does not exist (a tenant without a `main`
 * agent) — honestly none: clients then show no default model.
 */
export async function defaultsFor(ctx: MethodContext, agentId: string | undefined) {
	const agent = await agentOf(ctx, agentId)
	return agent ? sessionDefaults(agent) : { modelSelectionTarget: 'session' as const }
}
