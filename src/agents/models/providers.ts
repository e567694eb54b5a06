// Every provider kind edgeclaw speaks, in one table: its default key, its official endpoint, its
// context windows and how its AI SDK model is built. Adding a provider is one entry here (and its
// npm package); the config schema, the targets and the router all read this table. A provider's
// SDK loads when its first model is built: an isolate pays only for the providers its agents use.
import type { EmbeddingModelV4, LanguageModelV4, SharedV4ProviderOptions } from '@ai-sdk/provider'
import { ModelError } from './errors'
import { answerOption, OfflineLanguageModel, SUMMARIZE_OPTION } from './offline'
import { OfflineEmbeddingModel } from './offline-embedding'

/**
 * What a model step is for. An LLM reads that from the prompt; a provider that cannot (the
 * offline model) turns it into provider options.
 */
export type StepPurpose =
	/** Answer the conversation; the last `newMessages` user messages are this step's to answer. */
	| { task: 'answer'; newMessages: number }
	/** Summarise the conversation (compaction). */
	| { task: 'summarize' }

/**
 * The Worker's bindings a model needs: the Workers AI binding (a stand-in in tests). Secrets are
 * never read from here.
 */
export type ModelBindings = { AI?: unknown }

/** One call's worth of model: a target with its resolved key and the guarded fetch. */
export interface ModelCall {
	/** As the agent config names it: `<provider>:<model>`. */
	ref: string
	modelId: string
	baseURL: string | undefined
	/** The resolved key; undefined when the target names no auth profile. */
	apiKey: string | undefined
	env: ModelBindings
	/** The fetch the provider must use: the router's, wrapped in the SSRF guard. */
	fetch: typeof fetch
}

export interface ProviderSpec {
	/** The secret a model ref of this kind uses when the agent defines no provider entry for it. */
	defaultSecret?: string
	/** The origin of the vendor's own API: the only place a shared deployment key may be sent. */
	officialEndpoint?: string
	/** The kind has no endpoint of its own: usable only through a provider entry with a baseURL. */
	needsBaseURL?: true
	/** A call without a key still spends what the deployment shares (its Workers AI binding). */
	sharedWithoutKey?: true
	/** Context window (tokens): the first matching model pattern, else the default. */
	contextWindow: { default: number; byModel?: readonly (readonly [RegExp, number])[] }
	/** Provider options a step of this purpose needs (only for models that cannot read a prompt). */
	options?(purpose: StepPurpose): SharedV4ProviderOptions
	create(call: ModelCall): Promise<LanguageModelV4>
	/** The kind's embedding model (`/v1/embeddings`); absent = it serves none. */
	embed?(call: ModelCall): Promise<EmbeddingModelV4>
	/** Its embedding models take a requested vector length (`dimensions`). */
	embedDimensions?: true
}

/**
 * Context windows of model families by model-name pattern, whichever provider serves them: a
 * gateway may serve Claude, Workers AI or a local server Llama. A provider's `contextWindow`
 * setting overrides.
 */
const MODEL_FAMILY_WINDOWS: readonly (readonly [RegExp, number])[] = [
	[/^claude-/, 200_000],
	[/^gpt-4\.1/, 1_047_576],
	[/^gpt-5/, 400_000],
	[/^(gpt-4o|gpt-4-turbo|o1|o3|o4)/, 128_000],
	[/^gpt-3\.5/, 16_385],
	[/llama-3\.[123]|llama-4|qwen|mistral-small|gemma-3/i, 128_000],
]

const withBaseURL = (call: ModelCall) => ({
	...(call.baseURL ? { baseURL: call.baseURL } : {}),
	fetch: call.fetch,
})

function requiredKey(call: ModelCall): string {
	if (call.apiKey) return call.apiKey
	throw new ModelError(
		'provider_not_configured',
		`model "${call.ref}" has no API key: give its provider an auth profile naming a secret`,
	)
}

function workersAI(call: ModelCall): Ai {
	const binding = call.env.AI as Ai | undefined
	if (binding) return binding
	throw new ModelError(
		'provider_not_configured',
		`model "${call.ref}" needs the Workers AI binding "AI" (see docs/configuration.md)`,
	)
}

const openAICompatible = async (call: ModelCall) => {
	const { createOpenAICompatible } = await import('./sdk/openai-compatible')
	return createOpenAICompatible({
		name: 'openai-compatible',
		baseURL: call.baseURL ?? '',
		includeUsage: true,
		...(call.apiKey ? { apiKey: call.apiKey } : {}),
		fetch: call.fetch,
	})
}

const workersAIProvider = async (call: ModelCall) => {
	const { createWorkersAI } = await import('./sdk/workers-ai')
	return createWorkersAI({ binding: workersAI(call) })
}

const anthropicProvider = async (call: ModelCall) => {
	const { createAnthropic } = await import('./sdk/anthropic')
	return createAnthropic({ ...withBaseURL(call), apiKey: requiredKey(call) })
}

const openAIProvider = async (call: ModelCall) => {
	const { createOpenAI } = await import('./sdk/openai')
	return createOpenAI({ ...withBaseURL(call), apiKey: requiredKey(call) })
}

/** Keeps the keys of a table literal while typing every entry as a ProviderSpec. */
const providerTable = <K extends string>(providers: Record<K, ProviderSpec>) => providers

/** The provider kinds, in the order the config schema lists them. */
export const PROVIDERS = providerTable({
	offline: {
		contextWindow: { default: 128_000 },
		options: (purpose) =>
			purpose.task === 'summarize' ? SUMMARIZE_OPTION : answerOption(purpose.newMessages),
		create: async (call) => new OfflineLanguageModel(call.modelId),
		embed: async (call) => new OfflineEmbeddingModel(call.modelId),
		embedDimensions: true,
	},
	'workers-ai': {
		sharedWithoutKey: true,
		contextWindow: { default: 24_000, byModel: MODEL_FAMILY_WINDOWS },
		create: async (call) => (await workersAIProvider(call))(call.modelId as never),
		embed: async (call) => (await workersAIProvider(call)).embedding(call.modelId),
	},
	anthropic: {
		defaultSecret: 'ANTHROPIC_API_KEY',
		officialEndpoint: 'https://api.anthropic.com',
		contextWindow: { default: 200_000, byModel: MODEL_FAMILY_WINDOWS },
		create: async (call) => (await anthropicProvider(call))(call.modelId),
	},
	openai: {
		defaultSecret: 'OPENAI_API_KEY',
		officialEndpoint: 'https://api.openai.com',
		contextWindow: { default: 128_000, byModel: MODEL_FAMILY_WINDOWS },
		create: async (call) => (await openAIProvider(call)).chat(call.modelId),
		embed: async (call) => (await openAIProvider(call)).embedding(call.modelId),
		embedDimensions: true,
	},
	'openai-compatible': {
		needsBaseURL: true,
		contextWindow: { default: 32_000, byModel: MODEL_FAMILY_WINDOWS },
		create: async (call) => (await openAICompatible(call))(call.modelId),
		embed: async (call) => (await openAICompatible(call)).embeddingModel(call.modelId),
		embedDimensions: true,
	},
})

export type ProviderKind = keyof typeof PROVIDERS

/** The provider kinds as a tuple, for `z.enum`. */
export const PROVIDER_KINDS = Object.keys(PROVIDERS) as [ProviderKind, ...ProviderKind[]]

/** The kinds that serve embedding models. */
export const EMBEDDING_KINDS: readonly ProviderKind[] = PROVIDER_KINDS.filter(
	(kind) => PROVIDERS[kind].embed !== undefined,
)

/** Kinds a model ref may name without a `providers` entry: every kind with an endpoint of its own. */
export const BUILTIN_PROVIDERS: readonly ProviderKind[] = PROVIDER_KINDS.filter(
	(kind) => !PROVIDERS[kind].needsBaseURL,
)

/**
 * `kind` when a provider of that kind with this base URL talks to its vendor's own API (no base
 * URL: the SDK's default, or one on the official origin); else undefined. An openai-compatible
 * provider never does.
 */
export function officialProvider(
	kind: ProviderKind,
	baseURL: string | undefined,
): string | undefined {
	const official = PROVIDERS[kind].officialEndpoint
	if (!official) return undefined
	if (baseURL === undefined) return kind
	try {
		return new URL(baseURL).origin === official ? kind : undefined
	} catch {
		return undefined
	}
}

/** A model's context window: the provider entry's override, else the table's. */
export function contextWindowOf(kind: ProviderKind, modelId: string, override?: number): number {
	if (override) return override
	const window = PROVIDERS[kind].contextWindow
	for (const [pattern, size] of window.byModel ?? []) if (pattern.test(modelId)) return size
	return window.default
}
