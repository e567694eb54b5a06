// The Anthropic Messages model, built from the package's model class exactly as its
// `createAnthropic` builds it: the provider object also names batches, skills, files and the
// decision and extraction models, and all of them stay in the bundle with it.
// test/agents/provider-sdk.test.ts holds this to createAnthropic's.
import { AnthropicMessagesLanguageModel } from '@ai-sdk/anthropic/internal'
import { version } from '@ai-sdk/anthropic/package.json'
import {
	generateId,
	loadApiKey,
	loadOptionalSetting,
	validateBaseURL,
	withoutTrailingSlash,
	withUserAgentSuffix,
} from '@ai-sdk/provider-utils'

const API_URL = 'https://api.anthropic.com'
const SUPPORTED_URLS = { 'image/*': [/^https?:\/\/.*$/], 'application/pdf': [/^https?:\/\/.*$/] }

export interface AnthropicSettings {
	baseURL?: string
	apiKey: string
	fetch?: typeof fetch
}

export function createAnthropic(options: AnthropicSettings) {
	const configured = withoutTrailingSlash(
		validateBaseURL(
			loadOptionalSetting({
				settingValue: options.baseURL,
				environmentVariableName: 'ANTHROPIC_BASE_URL',
			}),
		),
	)
	const baseURL = configured === undefined || configured === API_URL ? `${API_URL}/v1` : configured
	const headers = () =>
		withUserAgentSuffix(
			{
				'anthropic-version': '2023-06-01',
				'x-api-key': loadApiKey({
					apiKey: options.apiKey,
					environmentVariableName: 'ANTHROPIC_API_KEY',
					description: 'Anthropic',
				}),
			},
			`ai-sdk-anthropic/${version}`,
		)
	const config = {
		provider: 'anthropic.messages',
		supportsMessageThreads: true,
		baseURL,
		headers,
		...(options.fetch && { fetch: options.fetch }),
		generateId,
		supportedUrls: () => SUPPORTED_URLS,
	}
	return (modelId: string) => new AnthropicMessagesLanguageModel(modelId, config)
}
