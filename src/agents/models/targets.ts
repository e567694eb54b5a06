// From an agent's model refs to call targets: each ref `<provider>:<model>` becomes its provider
// kind, base URL, whether that is the vendor's official endpoint, auth profiles by secret name,
// context window and breaker key. The config only ever names secrets; the router resolves them at
// call time (src/security/credentials.ts) and builds the model from the providers table.
import type { AgentConfig } from '../config'
import { contextWindowOf, officialProvider, PROVIDERS, type ProviderKind } from './providers'

export interface AuthProfileRef {
	id: string
	/** Name of the secret that holds the key: the tenant's own, or a shared deployment secret. */
	secret: string
}

export interface ModelTarget {
	/** As the agent config names it: `<provider>:<model>`. */
	ref: string
	kind: ProviderKind
	modelId: string
	baseURL: string | undefined
	/**
	 * The provider whose own official endpoint the requests go to (`anthropic`, `openai`), or
	 * undefined: only there may a shared deployment secret of that provider be used.
	 */
	officialFor: string | undefined
	profiles: AuthProfileRef[]
	contextWindow: number
	/** Breaker identity: the endpoint and model, whichever agent or tenant calls it. */
	breakerKey: string
}

/** The agent's models in failover order. */
export function targetsFor(config: AgentConfig): ModelTarget[] {
	return [config.model.primary, ...config.model.fallbacks].map((ref) => targetOf(config, ref))
}

export function targetOf(config: AgentConfig, ref: string): ModelTarget {
	const colon = ref.indexOf(':')
	const providerId = ref.slice(0, colon)
	const modelId = ref.slice(colon + 1)
	const provider = config.providers[providerId]
	const kind = (provider?.kind ?? providerId) as ProviderKind
	const defaultSecret = PROVIDERS[kind].defaultSecret
	const profiles = provider
		? provider.profiles
		: defaultSecret
			? [{ id: 'default', secret: defaultSecret }]
			: []
	const baseURL = provider?.baseURL
	return {
		ref,
		kind,
		modelId,
		baseURL,
		officialFor: officialProvider(kind, baseURL),
		profiles,
		contextWindow: contextWindowOf(kind, modelId, provider?.contextWindow),
		breakerKey: `${kind}|${baseURL ?? ''}|${modelId}`,
	}
}

/** Cooldown identity of a profile: the key itself (by secret name) at its endpoint. */
export const profileKey = (target: ModelTarget, profile: AuthProfileRef | undefined): string =>
	`${target.kind}|${target.baseURL ?? ''}|${profile?.secret ?? '-'}`
