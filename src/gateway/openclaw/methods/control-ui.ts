// What OpenClaw's Control UI reads before and around a chat, answered from edgeclaw's own data:
// `config.get` (a read-only view of the tenant's agents — never a provider key, secret name or
// endpoint), `agent.identity.get`, `chat.metadata` (the agent's models and defaults),
// `models.authStatus` (honestly unavailable: provider keys are tenant secrets the gateway never
// shows) and `sessions.observer.visibility` (acknowledged; edgeclaw has no session observer).
import { z } from 'zod'
import { getAgent, listAgents } from '../../../agents/store'
import { database } from '../../../db/client'
import { ProblemError } from '../../problem'
import { DEFAULT_AGENT } from '../keys'
import { allow, type Method, type MethodContext, method, sessionOf } from './context'
import { agentOf, modelOf, sessionDefaults } from './session-views'

const Agent = z.string().min(1).max(64).optional()

/** OpenClaw writes a model as `<provider>/<model>`; edgeclaw's refs are `<provider>:<model>`. */
const openclawModel = (ref: string) => ref.replace(':', '/')

/** SHA-256 (hex) of a string: the view's revision, so clients can tell it changed. */
async function sha256(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The configuration as OpenClaw's clients read it. edgeclaw is configured through its API, not a
 * file, so this is a derived, read-only view: the tenant's agents with their models. Providers,
 * their secret names and base URLs, instructions and tool policies stay out of it.
 */
const configGet = method({
	scope: 'operator.read',
	params: z.object({}).loose(),
	async handle(ctx) {
		await allow(ctx, 'agents:list', 'agent')
		const agents = await listAgents(database(ctx.env.DB), ctx.principal.tenantId)
		const main = agents.find((a) => a.id === DEFAULT_AGENT) ?? agents[0]
		const config = {
			agents: {
				...(main && {
					defaults: { model: { primary: openclawModel(main.config.model.primary) } },
				}),
				list: agents.map((a) => ({
					id: a.id,
					name: a.name,
					...(a.id === main?.id && { default: true }),
					model: {
						primary: openclawModel(a.config.model.primary),
						fallbacks: a.config.model.fallbacks.map(openclawModel),
					},
				})),
			},
			gateway: { mode: 'remote', controlUi: { basePath: '' } },
		}
		const hash = await sha256(JSON.stringify(config))
		return {
			path: `edgeclaw:tenant/${ctx.principal.tenantId}`,
			exists: true,
			valid: true,
			readOnly: true,
			issues: [],
			warnings: [],
			hash,
			config,
			runtimeConfig: config,
		}
	},
})

/** The agent a request names, as OpenClaw's agent identity (its configured name). */
const identity = method({
	scope: 'operator.read',
	params: z.object({ agentId: Agent, sessionKey: z.string().max(300).optional() }).loose(),
	async handle(ctx, p) {
		const agentId = p.agentId ?? (p.sessionKey ? sessionOf(p.sessionKey).agentId : DEFAULT_AGENT)
		await allow(ctx, 'agents:read', 'agent', agentId)
		const agent = await getAgent(database(ctx.env.DB), ctx.principal.tenantId, agentId)
		if (!agent) throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
		return { agentId: agent.id, name: agent.name, nameSource: 'config', avatarStatus: 'none' }
	},
})

/** An agent's models as OpenClaw's model choices (the primary first, then its fallbacks). */
export async function modelChoices(ctx: MethodContext, agentId: string | undefined) {
	const agent = await agentOf(ctx, agentId)
	if (!agent) return undefined
	const refs = [agent.config.model.primary, ...agent.config.model.fallbacks]
	return {
		agent,
		models: refs.map((ref, i) => {
			const m = modelOf({
				...agent,
				config: { ...agent.config, model: { primary: ref, fallbacks: [] } },
			})
			return {
				id: m.model,
				name: m.model,
				provider: m.modelProvider,
				...(i === 0 && { tags: ['default'] }),
				contextWindow: m.contextWindow,
				supportsTools: true,
				input: ['text'],
			}
		}),
	}
}

/** What a chat composer shows: the agent's models, which one answers, and that it is fixed. */
const metadata = method({
	scope: 'operator.read',
	params: z.object({ agentId: Agent, sessionKey: z.string().max(300).optional() }).loose(),
	async handle(ctx, p) {
		const agentId = p.sessionKey ? sessionOf(p.sessionKey, p.agentId).agentId : p.agentId
		await allow(ctx, 'agents:read', 'agent', agentId ?? DEFAULT_AGENT)
		const choices = await modelChoices(ctx, agentId)
		if (!choices) {
			throw new ProblemError('not_found', `Agent "${agentId ?? DEFAULT_AGENT}" does not exist.`)
		}
		return {
			agentId: choices.agent.id,
			models: choices.models,
			defaults: sessionDefaults(choices.agent),
			modelSelectionTarget: 'session',
			modelSelectionLocked: true,
		}
	},
})

/** Provider keys are tenant secrets: the gateway reports no auth state for them. */
const authStatus = method({
	scope: 'operator.read',
	params: z.object({ refresh: z.boolean().optional(), agentId: z.string().optional() }).loose(),
	async handle(ctx) {
		return {
			ts: ctx.now(),
			providers: [],
			unavailable: {
				code: 'MODEL_AUTH_MANAGED_BY_GATEWAY',
				message:
					'edgeclaw keeps provider keys as tenant secrets (PUT /v1/secrets/{name}); their state is not shown to chat clients.',
			},
		}
	},
})

/** The Control UI tells the gateway whether its observer panel is open; edgeclaw has none. */
const observerVisibility = method({
	scope: 'operator.read',
	params: z.object({ visible: z.boolean() }).loose(),
	async handle() {
		return { ok: true }
	},
})

export const controlUiMethods: Record<string, Method> = {
	'config.get': configGet,
	'agent.identity.get': identity,
	'chat.metadata': metadata,
	'models.authStatus': authStatus,
	'sessions.observer.visibility': observerVisibility,
}
