// From an agent's model refs to callable models: each ref `<provider>:<model>` becomes a target
// (provider kind, base URL, auth profiles by secret name, context window, breaker key), and a
// target plus one profile's key becomes an AI SDK language model. Keys are read from the Worker's
// secrets at call time; the config only ever names them.
import { createAnthropic } from '@ai-sdk/anthropic'
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import type { LanguageModelV4 } from '@ai-sdk/provider'
import { createWorkersAI } from 'workers-ai-provider'
import type { AgentConfig, ProviderKind } from '../config'
import { OfflineLanguageModel } from '../offline'
import { ModelError } from '../runner'

export interface AuthProfileRef {
	id: string
	/** Name of the Worker secret that holds the key. */
	secret: string
	/**
	 * The key is one the deployment shares with every tenant (not the tenant's own): its health is
	 * shared state, moved only by the provider's own evidence.
	 */
	shared?: boolean
}

export interface ModelTarget {
	/** As the agent config names it: `<provider>:<model>`. */
	ref: string
	kind: ProviderKind
	modelId: string
	baseURL: string | undefined
	profiles: AuthProfileRef[]
	contextWindow: number
	/** Breaker identity: the endpoint and model, whichever agent or tenant calls it. */
	breakerKey: string
}

/** Secrets a built-in provider uses when the agent does not define the provider itself. */
export const DEFAULT_SECRETS: Partial<Record<ProviderKind, string>> = {
	anthropic: 'ANTHROPIC_API_KEY',
	openai: 'OPENAI_API_KEY',
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
		profiles,
		contextWindow: contextWindowOf(kind, modelId, provider?.contextWindow),
		breakerKey: `${kind}|${baseURL ?? ''}|${modelId}`,
	}
}

/** Cooldown identity of a profile: the key itself (by secret name) at its endpoint. */
export const profileKey = (target: ModelTarget, profile: AuthProfileRef | undefined): string =>
	`${target.kind}|${target.baseURL ?? ''}|${profile?.secret ?? '-'}`

export interface ProviderDeps {
	env: Record<string, unknown>
	/** The fetch providers use (tests replace the network here). */
	fetch?: typeof fetch
}

/** The AI SDK model for a target called with one profile's key. */
export function languageModel(
	target: ModelTarget,
	profile: AuthProfileRef | undefined,
	deps: ProviderDeps,
): LanguageModelV4 {
	const apiKey = profile ? secretValue(deps.env, profile.secret) : undefined
	const common = {
		...(target.baseURL ? { baseURL: target.baseURL } : {}),
		...(deps.fetch ? { fetch: deps.fetch } : {}),
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
				...(deps.fetch ? { fetch: deps.fetch } : {}),
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

function secretValue(env: Record<string, unknown>, name: string): string | undefined {
	const value = env[name]
	return typeof value === 'string' && value.length > 0 ? value : undefined
}

function required(apiKey: string | undefined, target: ModelTarget): string {
	if (apiKey) return apiKey
	throw new ModelError(
		'provider_not_configured',
		`model "${target.ref}" has no API key: set the secret named in its auth profile`,
	)
}

/**
 * Where an agent config names a secret the deployment does not have: each auth profile's secret,
 * each MCP server's, and the default key of a built-in provider the config uses without defining it. Paths are
 * relative to the config. A key-less provider (Workers AI, offline, a local server) needs none.
 */
export function missingSecrets(
	config: AgentConfig,
	has: (name: string) => boolean,
): { path: string; message: string }[] {
	const issues: { path: string; message: string }[] = []
	for (const [id, provider] of Object.entries(config.providers)) {
		provider.profiles.forEach((p, i) => {
			if (!has(p.secret)) {
				issues.push({
					path: `providers.${id}.profiles.${i}.secret`,
					message: `secret "${p.secret}" is not set in this deployment (wrangler secret put ${p.secret})`,
				})
			}
		})
	}
	config.tools.mcp.forEach((server, i) => {
		if (server.secret && !has(server.secret)) {
			issues.push({
				path: `tools.mcp.${i}.secret`,
				message: `secret "${server.secret}" is not set in this deployment (wrangler secret put ${server.secret})`,
			})
		}
	})
	const refs: [string, string][] = [
		[config.model.primary, 'model.primary'],
		...config.model.fallbacks.map((r, i): [string, string] => [r, `model.fallbacks.${i}`]),
	]
	for (const [ref, path] of refs) {
		const providerId = ref.slice(0, ref.indexOf(':'))
		if (config.providers[providerId]) continue
		const secret = DEFAULT_SECRETS[providerId as ProviderKind]
		if (secret && !has(secret)) {
			issues.push({
				path,
				message: `"${ref}" needs the secret ${secret} (wrangler secret put ${secret}), or a "providers.${providerId}" entry naming another`,
			})
		}
	}
	return issues
}
