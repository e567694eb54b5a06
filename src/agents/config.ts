// Agent configuration as stored in D1 (`agents.config`): one zod schema is the validator, the
// TypeScript type and (later) the OpenAPI schema of the agents API.
import { z } from 'zod'
import { HeartbeatConfig } from '../automation/heartbeat/config'
import { MemoryConfig } from '../automation/memory/config'
import { SandboxConfig } from '../sandbox/config'
import { ToolsConfig } from '../tools/config'
import {
	BUILTIN_PROVIDERS,
	EMBEDDING_KINDS,
	PROVIDER_KINDS,
	PROVIDERS,
	type ProviderKind,
} from './models/providers'
import { Slug } from './slug'

export { Slug }

/** A model reference `provider:model`, e.g. `offline:echo` or `anthropic:claude-sonnet-4-5`. */
export const ModelRef = z
	.string()
	.max(200)
	.regex(/^[a-z0-9-]+:[\w./:@-]+$/, 'must look like "provider:model"')

/** The name of a Worker secret (or var): the config names a secret, never holds one. */
export const SecretName = z
	.string()
	.regex(/^[A-Z][A-Z0-9_]{0,127}$/, 'must be the NAME of a Worker secret, e.g. ANTHROPIC_API_KEY')

/** One credential of a provider; several are used round-robin and fail over to each other. */
export const AuthProfile = z
	.object({
		id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug'),
		secret: SecretName,
	})
	.strict()

export const ProviderConfig = z
	.object({
		kind: z.enum(PROVIDER_KINDS),
		/** API base URL (required for a kind with no endpoint of its own; else an override). */
		baseURL: z
			.url({ protocol: /^https?$/ })
			.max(500)
			.optional(),
		/** Auth profiles (API keys by secret name), used round-robin. Empty = no auth header. */
		profiles: z.array(AuthProfile).max(16).default([]),
		/** Context window of this provider's models in tokens, when the built-in table is wrong. */
		contextWindow: z.number().int().min(1_000).max(10_000_000).optional(),
	})
	.strict()
	.superRefine((p, ctx) => {
		if (PROVIDERS[p.kind].needsBaseURL && !p.baseURL) {
			ctx.addIssue({
				code: 'custom',
				path: ['baseURL'],
				message: `an ${p.kind} provider needs a baseURL`,
			})
		}
		const ids = new Set<string>()
		p.profiles.forEach((profile, i) => {
			if (ids.has(profile.id)) {
				ctx.addIssue({
					code: 'custom',
					path: ['profiles', i, 'id'],
					message: `duplicate profile id "${profile.id}"`,
				})
			}
			ids.add(profile.id)
		})
	})
export type ProviderConfig = z.infer<typeof ProviderConfig>

const ModelPriceConfig = z
	.object({ input: z.number().min(0).max(10_000), output: z.number().min(0).max(10_000) })
	.strict()

/**
 * The agent's embedding model, served at `/v1/embeddings` (docs/openai.md): a ref like the chat
 * models', through the same providers and keys; `dimensions` is the default vector length.
 */
export const EmbeddingConfig = z
	.object({
		model: ModelRef,
		dimensions: z.number().int().min(1).max(8_192).optional(),
	})
	.strict()
export type EmbeddingConfig = z.infer<typeof EmbeddingConfig>

/**
 * What this agent may delegate through `sessions_spawn` (docs/automation.md, "Subagents"): how deep
 * a chain of children may go below a top-level session, how many of a session's children may be
 * unfinished at once, and which agents it may spawn (itself always; `*` = any of its tenant's).
 */
export const SubagentsConfig = z
	.object({
		maxDepth: z.number().int().min(1).max(5).default(1),
		maxChildren: z.number().int().min(1).max(20).default(5),
		allowAgents: z
			.array(z.union([Slug, z.literal('*')]))
			.max(50)
			.default([]),
	})
	.strict()
export type SubagentsConfig = z.infer<typeof SubagentsConfig>

const ProviderId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug')

export const AgentConfig = z
	.object({
		instructions: z.string().max(32_000).default('You are a helpful assistant.'),
		model: z
			.object({
				primary: ModelRef,
				fallbacks: z.array(ModelRef).max(8).default([]),
			})
			.strict(),
		params: z
			.object({
				temperature: z.number().min(0).max(2).optional(),
				topP: z.number().min(0).max(1).optional(),
				maxOutputTokens: z.number().int().positive().max(200_000).optional(),
			})
			.strict()
			.prefault({}),
		/** Providers by the id used in model refs (`<id>:<model>`); built-in kinds need no entry. */
		providers: z.record(ProviderId, ProviderConfig).default({}),
		tools: ToolsConfig.prefault({}),
		limits: z
			.object({
				/** Tokens of transcript the model sees before compaction kicks in. */
				contextBudgetTokens: z.number().int().min(1_000).max(2_000_000).default(32_000),
				maxMessages: z.number().int().min(10).max(100_000).default(1_000),
				/** Wall-clock deadline of one run (turn). */
				runDeadlineMs: z.number().int().min(1_000).max(3_600_000).default(600_000),
				maxToolSteps: z.number().int().min(0).max(100).default(8),
				/** No single model call may take longer than this (then it counts as a timeout). */
				modelCallTimeoutMs: z.number().int().min(1_000).max(600_000).default(120_000),
				/** Messages that may wait in the session's lane. */
				queueCap: z.number().int().min(1).max(10_000).default(1_000),
			})
			.strict()
			.prefault({}),
		sandbox: SandboxConfig.prefault({}),
		subagents: SubagentsConfig.prefault({}),
		/**
		 * Prices (USD per million input and output tokens) of this agent's models, by model ref,
		 * where the built-in list (src/observability/prices.ts) has none or another is negotiated.
		 */
		prices: z.record(ModelRef, ModelPriceConfig).optional(),
		/** An embedding model makes the agent usable at /v1/embeddings; none = not served there. */
		embedding: EmbeddingConfig.optional(),
		/** Memory scope and pinned-memory budget (the tools come with `group:memory`). */
		memory: MemoryConfig.prefault({}),
		/** A periodic turn with a standing prompt in one session; absent = none (docs/automation.md). */
		heartbeat: HeartbeatConfig.optional(),
	})
	.strict()
	.superRefine((config, ctx) => {
		const refs: [string, (string | number)[]][] = [
			[config.model.primary, ['model', 'primary']],
			...config.model.fallbacks.map((r, i): [string, (string | number)[]] => [
				r,
				['model', 'fallbacks', i],
			]),
		]
		for (const [ref, path] of refs) {
			const provider = ref.slice(0, ref.indexOf(':'))
			if (config.providers[provider]) continue
			if ((BUILTIN_PROVIDERS as readonly string[]).includes(provider)) continue
			ctx.addIssue({
				code: 'custom',
				path,
				message: `unknown provider "${provider}": use ${BUILTIN_PROVIDERS.join(', ')} or define it under "providers"`,
			})
		}
		if (config.embedding) embeddingIssues(config, config.embedding, ctx)
	})

/** An embedding model names a known provider of a kind that serves embeddings. */
function embeddingIssues(
	config: { providers: Record<string, ProviderConfig> },
	embedding: EmbeddingConfig,
	ctx: z.RefinementCtx,
): void {
	const provider = embedding.model.slice(0, embedding.model.indexOf(':'))
	const builtin = (BUILTIN_PROVIDERS as readonly string[]).includes(provider)
	const kind =
		config.providers[provider]?.kind ?? (builtin ? (provider as ProviderKind) : undefined)
	const path = ['embedding', 'model']
	if (!kind) {
		ctx.addIssue({
			code: 'custom',
			path,
			message: `unknown provider "${provider}": use ${EMBEDDING_KINDS.join(', ')} or define it under "providers"`,
		})
	} else if (!PROVIDERS[kind].embed) {
		ctx.addIssue({
			code: 'custom',
			path,
			message: `${kind} serves no embedding models: use ${EMBEDDING_KINDS.join(', ')}`,
		})
	} else if (embedding.dimensions !== undefined && !PROVIDERS[kind].embedDimensions) {
		ctx.addIssue({
			code: 'custom',
			path: ['embedding', 'dimensions'],
			message: `${kind} embedding models give vectors of their own length: leave dimensions out`,
		})
	}
}

export type AgentConfig = z.infer<typeof AgentConfig>
