// One batch of texts through an embedding model (the AI SDK's provider spec), as the AI SDK's
// `embedMany` runs it for edgeclaw's calls — no retries, headers or provider options — without the
// SDK's core: `ai` and the gateway provider it brings were 34 KiB gzip of the Worker bundle for this.
import type { EmbeddingModelV4 } from '@ai-sdk/provider'
import { InvalidResponseDataError } from '@ai-sdk/provider'

/** The UTF-8 bytes one call takes, when a model declares it (the AI SDK's key for it). */
const MAX_INPUT_BYTES_PER_CALL = Symbol.for('vercel.ai.embeddingModel.maxInputBytesPerCall')

export interface EmbedManyCall {
	model: EmbeddingModelV4
	values: string[]
	/** A positive integer (the request schema and the agent config check it). */
	dimensions?: number
	abortSignal?: AbortSignal
}

export interface EmbedManyResult {
	/** One per value, in order. */
	embeddings: number[][]
	/** The sum the provider reported; NaN when a call reported none. */
	tokens: number
}

/**
 * Embeds `values`, split into as many calls as the model's limits (values and bytes per call)
 * require; the calls run at once when the model supports parallel calls, else one after another.
 * A provider's error is thrown as the provider raised it.
 */
export async function embedMany(call: EmbedManyCall): Promise<EmbedManyResult> {
	const { model } = call
	const [maxValues, maxBytes, parallel] = await Promise.all([
		model.maxEmbeddingsPerCall,
		(model as { [MAX_INPUT_BYTES_PER_CALL]?: number })[MAX_INPUT_BYTES_PER_CALL],
		model.supportsParallelCalls,
	])
	const parts = split(call.values, maxValues ?? Infinity, maxBytes ?? Infinity)
	const embedPart = async (values: string[]) => {
		const response = await model.doEmbed({
			values,
			...(call.dimensions !== undefined && { dimensions: call.dimensions }),
			...(call.abortSignal && { abortSignal: call.abortSignal }),
		})
		if (response.embeddings.length !== values.length) {
			throw new InvalidResponseDataError({
				data: response.embeddings,
				message: `Expected ${values.length} embeddings, but received ${response.embeddings.length}.`,
			})
		}
		return { embeddings: response.embeddings, tokens: response.usage?.tokens ?? Number.NaN }
	}
	const results = []
	if (parallel) results.push(...(await Promise.all(parts.map(embedPart))))
	else for (const part of parts) results.push(await embedPart(part))
	return {
		embeddings: results.flatMap((r) => r.embeddings),
		tokens: results.reduce((n, r) => n + r.tokens, 0),
	}
}

/** Consecutive runs of `values`, each within both limits (a value over the byte limit goes alone). */
function split(values: string[], maxValues: number, maxBytes: number): string[][] {
	if (maxValues === Infinity && maxBytes === Infinity) return [values]
	if (values.length === 0) return []
	const encoder = new TextEncoder()
	const parts: string[][] = []
	let part: string[] = []
	let bytes = 0
	for (const value of values) {
		const size = encoder.encode(value).length
		if (part.length > 0 && (part.length >= maxValues || bytes + size > maxBytes)) {
			parts.push(part)
			part = []
			bytes = 0
		}
		part.push(value)
		bytes += size
	}
	parts.push(part)
	return parts
}
