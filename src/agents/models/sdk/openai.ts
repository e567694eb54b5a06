// The two OpenAI models edgeclaw uses, chat and embeddings, built from the package's model classes
// exactly as its `createOpenAI` builds them: the provider object also names every other model and
// tool the package offers (responses, images, speech, files, batches, …), and all of them stay in
// the bundle with it (12 KiB gzip). test/agents/provider-sdk.test.ts holds these to createOpenAI's.
import { OpenAIChatLanguageModel, OpenAIEmbeddingModel } from '@ai-sdk/openai/internal'
import { version } from '@ai-sdk/openai/package.json'
import {
	loadApiKey,
	loadOptionalSetting,
	validateBaseURL,
	withoutTrailingSlash,
	withUserAgentSuffix,
} from '@ai-sdk/provider-utils'

export interface OpenAISettings {
	baseURL?: string
	apiKey: string
	fetch?: typeof fetch
}

export function createOpenAI(options: OpenAISettings) {
	const baseURL =
		withoutTrailingSlash(
			validateBaseURL(
				loadOptionalSetting({
					settingValue: options.baseURL,
					environmentVariableName: 'OPENAI_BASE_URL',
				}),
			),
		) ?? 'https://api.openai.com/v1'
	const headers = () =>
		withUserAgentSuffix(
			{
				Authorization: `Bearer ${loadApiKey({
					apiKey: options.apiKey,
					environmentVariableName: 'OPENAI_API_KEY',
					description: 'OpenAI',
				})}`,
			},
			`ai-sdk-openai/${version}`,
		)
	const config = (kind: 'chat' | 'embedding') => ({
		provider: `openai.${kind}`,
		url: ({ path }: { path: string }) => `${baseURL}${path}`,
		headers,
		...(options.fetch && { fetch: options.fetch }),
	})
	return {
		chat: (modelId: string) => new OpenAIChatLanguageModel(modelId, config('chat')),
		embedding: (modelId: string) => new OpenAIEmbeddingModel(modelId, config('embedding')),
	}
}
