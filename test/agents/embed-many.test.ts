// One batch through an embedding model: split where the model's limits say, the parts run at once
// or one after another as the model allows, the vectors back in order, the tokens summed.
import {
	APICallError,
	type EmbeddingModelV4,
	type EmbeddingModelV4CallOptions,
} from '@ai-sdk/provider'
import { describe, expect, it } from 'vitest'
import { embedMany } from '../../src/agents/models/embed-many'

interface Limits {
	maxEmbeddingsPerCall?: number
	maxInputBytesPerCall?: number
	supportsParallelCalls?: boolean
	/** Tokens a call reports per value; undefined = the call reports no usage. */
	tokensPerValue?: number
	/** Vectors a call returns fewer than it was given. */
	short?: number
}

/** A model whose vector for a text is [its length, the call's number]; it records each call. */
function model(limits: Limits) {
	const calls: string[][] = []
	let inFlight = 0
	let maxInFlight = 0
	const m: EmbeddingModelV4 & Record<symbol, unknown> = {
		specificationVersion: 'v4',
		provider: 'test',
		modelId: 'm',
		maxEmbeddingsPerCall: limits.maxEmbeddingsPerCall,
		supportsParallelCalls: limits.supportsParallelCalls ?? false,
		[Symbol.for('vercel.ai.embeddingModel.maxInputBytesPerCall')]: limits.maxInputBytesPerCall,
		async doEmbed(options: EmbeddingModelV4CallOptions) {
			const n = calls.push(options.values)
			inFlight++
			maxInFlight = Math.max(maxInFlight, inFlight)
			await Promise.resolve()
			inFlight--
			return {
				embeddings: options.values.slice(limits.short ?? 0).map((v) => [v.length, n]),
				...(limits.tokensPerValue !== undefined && {
					usage: { tokens: options.values.length * limits.tokensPerValue },
				}),
				warnings: [],
			}
		},
	}
	return { model: m, calls, maxInFlight: () => maxInFlight }
}

describe('embedMany', () => {
	it('sends a batch in one call when the model declares no limit', async () => {
		const m = model({ tokensPerValue: 2 })
		const out = await embedMany({ model: m.model, values: ['a', 'bb', 'ccc'] })
		expect(m.calls).toEqual([['a', 'bb', 'ccc']])
		expect(out).toEqual({
			embeddings: [
				[1, 1],
				[2, 1],
				[3, 1],
			],
			tokens: 6,
		})
	})

	it('splits at the values and UTF-8 bytes per call, keeping the order', async () => {
		const m = model({ maxEmbeddingsPerCall: 3, maxInputBytesPerCall: 4, tokensPerValue: 1 })
		// 'é' is two bytes: 'aé' (3) + 'b' (1) fit in 4; 'ccccc' (5) is over the limit and goes alone.
		const out = await embedMany({
			model: m.model,
			values: ['aé', 'b', 'ccccc', 'd', 'e', 'f', 'g'],
		})
		expect(m.calls).toEqual([['aé', 'b'], ['ccccc'], ['d', 'e', 'f'], ['g']])
		expect(out.embeddings.map(([length]) => length)).toEqual([2, 1, 5, 1, 1, 1, 1])
		expect(out.tokens).toBe(7)
	})

	it('runs the parts at once only when the model supports parallel calls', async () => {
		const serial = model({ maxEmbeddingsPerCall: 1 })
		await embedMany({ model: serial.model, values: ['a', 'b', 'c'] })
		expect(serial.maxInFlight()).toBe(1)
		const parallel = model({ maxEmbeddingsPerCall: 1, supportsParallelCalls: true })
		await embedMany({ model: parallel.model, values: ['a', 'b', 'c'] })
		expect(parallel.maxInFlight()).toBe(3)
	})

	it('passes the length asked for; tokens are NaN when a call reports none', async () => {
		const m = model({})
		let asked: number | undefined
		const doEmbed = m.model.doEmbed.bind(m.model)
		m.model.doEmbed = (options) => {
			asked = options.dimensions
			return doEmbed(options)
		}
		const out = await embedMany({ model: m.model, values: ['a'], dimensions: 8 })
		expect(asked).toBe(8)
		expect(out.tokens).toBeNaN()
	})

	it('refuses a response with fewer vectors than values as unreadable', async () => {
		const m = model({ short: 1 })
		await expect(embedMany({ model: m.model, values: ['a', 'b'] })).rejects.toMatchObject({
			name: 'AI_InvalidResponseDataError',
			message: 'Expected 2 embeddings, but received 1.',
		})
	})

	it("throws the provider's error as it was raised", async () => {
		const error = new APICallError({
			message: 'rate limited',
			url: 'https://x.test/embeddings',
			requestBodyValues: {},
			statusCode: 429,
		})
		const m = model({})
		m.model.doEmbed = async () => {
			throw error
		}
		await expect(embedMany({ model: m.model, values: ['a'] })).rejects.toBe(error)
	})

	it('makes no call for no values when the model has limits', async () => {
		const m = model({ maxEmbeddingsPerCall: 2 })
		expect(await embedMany({ model: m.model, values: [] })).toEqual({ embeddings: [], tokens: 0 })
		expect(m.calls).toEqual([])
	})
})
