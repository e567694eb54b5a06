// From an agent's model refs to callable models: each ref `<provider>:<model>` becomes a target
// (provider kind, base URL, whether that is the vendor's official endpoint, auth profiles by
// secret name, context window, breaker key), and a target plus one resolved key becomes an AI SDK
// language model. The config only ever names secrets; the router resolves them at call time
// (src/security/credentials.ts) and every request leaves through the SSRF-guarded fetch.
import { createAnthropic } from '@ai-sdk/anthropic'
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import type { LanguageModelV4 } from '@ai-sdk/provider'
import { createWorkersAI } from 'workers-ai-provider'
import { BUILTIN_PROVIDER_KEYS } from '../../security/secrets'
import type { AgentConfig, ProviderKind } from '../config'
import { OfflineLanguageModel } from '../offline'
import { ModelError } from '../runner'

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

/** Secrets a built-in provider uses when the agent does not define the provider itself. */
export const DEFAULT_SECRETS: Partial<Record<ProviderKind, string>> = Object.fromEntries(
	Object.entries(BUILTIN_PROVIDER_KEYS).map(([name, kind]) => [kind, name]),
)

/** The official endpoints (origins) of the providers a shared deployment key may be sent to. */
export const OFFICIAL_ENDPOINTS: Partial<Record<ProviderKind, string>> = {
	anthropic: 'https://api.anthropic.com',
	openai: 'https://api.openai.com',
}

/**
 * `kind` when a provider of that kind with this base URL talks to its vendor's own API (no base
 * URL: the SDK's default, or one on the official origin); else undefined. An openai-compatible
 * provider never does.
 */
export function officialProvider(
	kind: ProviderKind,
	baseURL: string | undefined,
): string | undefined {
	const official = OFFICIAL_ENDPOINTS[kind]
	if (!official) return undefined
	if (baseURL === undefined) return kind
	try {
		return new URL(baseURL).origin === official ? kind : undefined
	} catch {
		return undefined
	}
}

/** Context windows (tokens) by model-name prefix; a provider's `contextWindow` overrides. */
const WINDOWS: [RegExp, number][] = [
	[/^claude-/, 200_000],
	[/^gpt-4\.1/, 1_047_576],
	[/^gpt-5/, 400_000],
	[/^(gpt-4o|gpt-4-turbo|o1|o3|o4)/, 128_000],
	[/^gpt-3\.5/, 16_385],
	[/llama-3\.[123]|llama-4|qwen|mistral-small|gemma-3/i, 128_000],
]
const DEFAULT_WINDOW: Record<ProviderKind, number> = {
	offline: 128_000,
	'workers-ai': 24_000,
	anthropic: 200_000,
	openai: 128_000,
	'openai-compatible': 32_000,
}

export function contextWindowOf(kind: ProviderKind, modelId: string, override?: number): number {
	if (override) return override
	if (kind === 'offline') return DEFAULT_WINDOW.offline
	for (const [pattern, size] of WINDOWS) if (pattern.test(modelId)) return size
	return DEFAULT_WINDOW[kind]
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
	const defaultSecret = DEFAULT_SECRETS[kind]
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

/**
 * The Worker's bindings a model needs: the Workers AI binding (a stand-in in tests). Secrets are
 * never read from here.
 */
export type ModelBindings = { AI?: unknown }

export interface ProviderDeps {
	env: ModelBindings
	/** The fetch providers use (tests replace the network here); wrapped in the SSRF guard. */
	fetch?: typeof fetch
}

/**
 * The AI SDK model for a target, called with one resolved key (`apiKey`, undefined when the target
 * needs none) through `fetch`, which the router has already wrapped in the SSRF guard.
 */
export function languageModel(
	target: ModelTarget,
	apiKey: string | undefined,
	deps: { env: ModelBindings; fetch: typeof fetch },
): LanguageModelV4 {
	const common = {
		...(target.baseURL ? { baseURL: target.baseURL } : {}),
		fetch: deps.fetch,
	}
	switch (target.kind) {
		case 'offline':
			return new OfflineLanguageModel(target.modelId)
		case 'anthropic':
			return createAnthropic({ ...common, apiKey: required(apiKey, target) })(target.modelId)
		case 'openai':
			return createOpenAI({ ...common, apiKey: required(apiKey, target) }).chat(target.modelId)
		case 'openai-compatible':
			return createOpenAICompatible({
				name: 'openai-compatible',
				baseURL: target.baseURL ?? '',
				includeUsage: true,
				...(apiKey ? { apiKey } : {}),
				fetch: deps.fetch,
			})(target.modelId)
		case 'workers-ai': {
			const binding = deps.env.AI as Ai | undefined
			if (!binding) {
				throw new ModelError(
					'provider_not_configured',
					`model "${target.ref}" needs the Workers AI binding "AI" (see docs/configuration.md)`,
				)
			}
			return createWorkersAI({ binding })(target.modelId as never)
		}
	}
}

function required(apiKey: string | undefined, target: ModelTarget): string {
	if (apiKey) return apiKey
	throw new ModelError(
		'provider_not_configured',
		`model "${target.ref}" has no API key: give its provider an auth profile naming a secret`,
	)
}
