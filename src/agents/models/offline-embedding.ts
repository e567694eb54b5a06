// The offline embedding model: deterministic vectors with no network, for local runs and tests
// through the same AI SDK interface as the real providers. A text's vector is a hashed bag of its
// words (lower-cased letters and digits): each word adds ±1 at a position its hash picks, and the
// sum is scaled to unit length. Identical texts give identical vectors; texts sharing words point
// the same way. `/fail <status>` as the whole text raises a provider error with that HTTP status.
// Usage counts one token per word (at least one per text).
import {
	APICallError,
	type EmbeddingModelV4,
	type EmbeddingModelV4CallOptions,
	type EmbeddingModelV4Result,
} from '@ai-sdk/provider'

/** The vector length when neither the request nor the agent's config names one. */
export const OFFLINE_EMBEDDING_DIMENSIONS = 256

const WORD = /[\p{L}\p{N}]+/gu

/** FNV-1a over the UTF-16 code units: stable across runs and platforms. */
function fnv1a(text: string): number {
	let hash = 0x811c9dc5
	for (let i = 0; i < text.length; i++) {
		hash ^= text.charCodeAt(i)
		hash = Math.imul(hash, 0x01000193) >>> 0
	}
	return hash
}

export const wordsOf = (text: string): string[] => text.toLowerCase().match(WORD) ?? []

/** The unit vector of a text's words; a text without words is the first unit vector. */
export function offlineEmbedding(text: string, dimensions: number): number[] {
	const vector = new Array<number>(dimensions).fill(0)
	for (const word of wordsOf(text)) {
		const hash = fnv1a(word)
		const index = hash % dimensions
		vector[index] = (vector[index] ?? 0) + (hash & 0x80000000 ? -1 : 1)
	}
	let squares = 0
	for (const v of vector) squares += v * v
	const norm = Math.sqrt(squares)
	if (norm === 0) {
		vector[0] = 1
		return vector
	}
	return vector.map((v) => v / norm)
}

export class OfflineEmbeddingModel implements EmbeddingModelV4 {
	readonly specificationVersion = 'v4'
	readonly provider = 'offline'
	readonly maxEmbeddingsPerCall = 2_048
	readonly supportsParallelCalls = true
	readonly modelId: string

	constructor(modelId: string) {
		this.modelId = modelId
	}

	async doEmbed(options: EmbeddingModelV4CallOptions): Promise<EmbeddingModelV4Result> {
		const dimensions = options.dimensions ?? OFFLINE_EMBEDDING_DIMENSIONS
		for (const text of options.values) {
			const fail = /^\/fail\s+(\d{3})\s*$/.exec(text)
			if (fail) {
				const status = Number(fail[1])
				throw new APICallError({
					message: `offline model: simulated provider error ${status}`,
					url: `offline://${this.modelId}/embeddings`,
					requestBodyValues: {},
					statusCode: status,
					responseBody: JSON.stringify({ error: { message: `simulated ${status}` } }),
					isRetryable: false,
				})
			}
		}
		const tokens = options.values.reduce((n, text) => n + Math.max(1, wordsOf(text).length), 0)
		return {
			embeddings: options.values.map((text) => offlineEmbedding(text, dimensions)),
			usage: { tokens },
			warnings: [],
		}
	}
}
