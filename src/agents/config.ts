// Agent configuration as stored in D1 (`agents.config`): one zod schema is the validator, the
// TypeScript type and (later) the OpenAPI schema of the agents API.
import { z } from 'zod'

/** Identifiers for tenants, agents and similar resources: lowercase slug, 1–63 chars. */
export const Slug = z
	.string()
	.regex(
		/^[a-z0-9][a-z0-9-]{0,62}$/,
		'must be 1-63 chars of a-z, 0-9 and "-", not starting with "-"',
	)

/** A model reference `provider:model`, e.g. `offline:echo` or `anthropic:claude-sonnet-4-5`. */
export const ModelRef = z
	.string()
	.max(200)
	.regex(/^[a-z0-9-]+:[\w./:@-]+$/, 'must look like "provider:model"')

export const ToolProfile = z.enum(['minimal', 'coding', 'messaging', 'full'])

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
				maxOutputTokens: z.number().int().positive().max(200_000).optional(),
			})
			.strict()
			.prefault({}),
		tools: z
			.object({
				profile: ToolProfile.default('minimal'),
				allow: z.array(z.string().max(100)).max(200).default([]),
				deny: z.array(z.string().max(100)).max(200).default([]),
			})
			.strict()
			.prefault({}),
		limits: z
			.object({
				/** Tokens of transcript the model sees before compaction kicks in. */
				contextBudgetTokens: z.number().int().min(1_000).max(2_000_000).default(32_000),
				maxMessages: z.number().int().min(10).max(100_000).default(1_000),
				/** Wall-clock deadline of one run (turn). */
				runDeadlineMs: z.number().int().min(1_000).max(3_600_000).default(600_000),
				maxToolSteps: z.number().int().min(0).max(100).default(8),
				/** Messages that may wait in the session's lane. */
				queueCap: z.number().int().min(1).max(10_000).default(1_000),
			})
			.strict()
			.prefault({}),
		sandbox: z
			.object({
				backend: z.enum(['auto', 'isolate', 'container']).default('auto'),
				scope: z.enum(['session', 'agent']).default('session'),
			})
			.strict()
			.prefault({}),
	})
	.strict()

export type AgentConfig = z.infer<typeof AgentConfig>
