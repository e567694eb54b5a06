// The OpenAI and Anthropic models edgeclaw builds from the packages' model classes
// (src/agents/models/sdk) against the ones the packages' own provider factories build: the same
// class, ids and spec, the same URLs, headers (key, version, user agent), fetch and the rest of
// their config. A package upgrade that changes what its factory gives a model fails here.
import { createAnthropic as sdkAnthropic } from '@ai-sdk/anthropic'
import { createOpenAI as sdkOpenAI } from '@ai-sdk/openai'
import { describe, expect, it } from 'vitest'
import { createAnthropic } from '../../src/agents/models/sdk/anthropic'
import { createOpenAI } from '../../src/agents/models/sdk/openai'

const fetchFn = (async () => new Response()) as typeof fetch

/** What a model is to its calls: its class and ids, and its config with each function's answer. */
async function shape(model: object) {
	const m = model as Record<string, unknown> & { config: Record<string, unknown> }
	const config: Record<string, unknown> = {}
	for (const [key, value] of Object.entries(m.config)) {
		if (typeof value !== 'function') config[key] = value
		else if (key === 'fetch') config[key] = value === fetchFn ? 'the fetch given' : 'another'
		else if (key === 'url') config[key] = value({ path: '/p', modelId: m.modelId })
		else if (key === 'generateId') config[key] = typeof value()
		else config[key] = await value()
	}
	return {
		class: m.constructor.name,
		modelId: m.modelId,
		provider: m.provider,
		specificationVersion: m.specificationVersion,
		supportedUrls: await m.supportedUrls,
		maxEmbeddingsPerCall: m.maxEmbeddingsPerCall,
		supportsParallelCalls: m.supportsParallelCalls,
		config,
	}
}

const BASE_URLS = [undefined, 'https://proxy.example.com/v1/', 'https://api.anthropic.com']

describe("the provider models match their package's own", () => {
	it.each(BASE_URLS)('OpenAI chat and embeddings (base URL %s)', async (baseURL) => {
		const options = { ...(baseURL && { baseURL }), apiKey: 'sk-test', fetch: fetchFn }
		const ours = createOpenAI(options)
		const theirs = sdkOpenAI(options)
		expect(await shape(ours.chat('gpt-4.1'))).toEqual(await shape(theirs.chat('gpt-4.1')))
		expect(await shape(ours.embedding('text-embedding-3-small'))).toEqual(
			await shape(theirs.embedding('text-embedding-3-small')),
		)
	})

	it.each(BASE_URLS)('Anthropic messages (base URL %s)', async (baseURL) => {
		const options = { ...(baseURL && { baseURL }), apiKey: 'sk-ant-test', fetch: fetchFn }
		const model = 'claude-sonnet-4-5'
		expect(await shape(createAnthropic(options)(model))).toEqual(
			await shape(sdkAnthropic(options)(model)),
		)
	})
})
