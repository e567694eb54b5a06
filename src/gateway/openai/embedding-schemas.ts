// Request and response schemas of POST /v1/embeddings, after OpenAI's Embeddings API: every field
// the openai SDK sends is accepted and range-checked; what edgeclaw cannot serve (token arrays) is
// refused afterwards with a clear reason (embeddings.ts), and so are the limits below.
import { z } from '@hono/zod-openapi'
import { error } from './schemas'

/** Inputs per request, as OpenAI allows. */
export const MAX_EMBEDDING_INPUTS = 2_048
/** Characters per input (about 8,000 tokens: the context of the common embedding models). */
export const MAX_EMBEDDING_INPUT_CHARS = 32_000
export const MAX_EMBEDDING_DIMENSIONS = 8_192

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional()

/** Token ids: accepted by the schema so the refusal can say what is wrong. */
const TokenIds = z.array(z.number().int())

export const EmbeddingRequest = z
	.object({
		model: z.string().min(1).max(256).openapi({ example: 'edgeclaw/main' }),
		input: z
			.union([z.string(), z.array(z.union([z.string(), z.number().int(), TokenIds]))])
			.openapi({
				description: `A text or up to ${MAX_EMBEDDING_INPUTS} texts, each 1–${MAX_EMBEDDING_INPUT_CHARS} characters. Token arrays are refused.`,
				example: ['The quick brown fox', 'jumps over the lazy dog'],
			}),
		encoding_format: nullable(z.enum(['float', 'base64'])).openapi({
			description:
				'`float` (the default) or `base64`: the little-endian float32 bytes of each vector, base64-encoded (the openai SDK asks for this and decodes it).',
		}),
		dimensions: nullable(z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS)).openapi({
			description:
				"Vector length; the agent's `embedding.dimensions`, else the model's own, when absent. Refused for a model that cannot shorten its vectors.",
		}),
		user: nullable(z.string().max(256)).openapi({ description: 'Accepted and ignored.' }),
	})
	.strict()
	.openapi('EmbeddingRequest')
export type EmbeddingRequest = z.infer<typeof EmbeddingRequest>

export const Embedding = z
	.object({
		object: z.literal('embedding'),
		index: z.number().int(),
		embedding: z.union([z.array(z.number()), z.string()]).openapi({
			description: 'Numbers, or with `encoding_format: "base64"` a base64 string of float32s',
		}),
	})
	.openapi('Embedding')

export const EmbeddingList = z
	.object({
		object: z.literal('list'),
		data: z.array(Embedding),
		model: z.string().openapi({ example: 'edgeclaw/main' }),
		usage: z.object({
			prompt_tokens: z.number().int(),
			total_tokens: z.number().int(),
		}),
	})
	.openapi('EmbeddingList')
export type EmbeddingList = z.infer<typeof EmbeddingList>

/** How an embedding call that reached no answer fails. */
export const embeddingErrors = {
	502: error('The embedding model provider failed (model_upstream_failed)'),
	503: error('No usable key or URL for the embedding model (provider_not_configured)'),
} as const
