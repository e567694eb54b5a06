// An agent's embedding model: the config field's rules, the secret it implies, and the call —
// through the real AI SDK providers over a scripted wire — with the tenant's key resolved under the
// credential rule and every request through the SSRF guard, so nothing is sent that must not be.
import { describe, expect, it } from 'vitest'
import { AgentConfig } from '../../src/agents/config'
import { embedTexts } from '../../src/agents/models/embeddings'
import { offlineEmbedding } from '../../src/agents/models/offline-embedding'
import { secretReferences } from '../../src/agents/outbound'
import type { Credentials } from '../../src/security/credentials'
import { tenantUrlRules } from '../../src/security/ssrf'
import { scriptedFetch } from '../fakes/provider-wire'

const OWN_VALUE = 'sk-own-embedding-key-0123456789'

/** The tenant owns OWN_KEY; every other name is refused, as the credential rule would. */
const credentials: Credentials = {
	resolve: async ({ name }) =>
		name === 'OWN_KEY'
			? { ok: true, value: OWN_VALUE, owner: 'tenant' }
			: { ok: false, reason: 'not_owned', message: `"${name}" is not the tenant's secret` },
}

const issues = (config: unknown) => {
	const parsed = AgentConfig.safeParse(config)
	return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

const compatible = (baseURL: string, secret = 'OWN_KEY') =>
	AgentConfig.parse({
		model: { primary: 'offline:echo' },
		providers: {
			local: { kind: 'openai-compatible', baseURL, profiles: [{ id: 'k', secret }] },
		},
		embedding: { model: 'local:nomic-embed-text' },
	}) as AgentConfig & { embedding: NonNullable<AgentConfig['embedding']> }

const openAIEmbeddings = (vectors: number[][], tokens: number) => ({
	status: 200,
	headers: {},
	body: {
		object: 'list',
		data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
		model: 'nomic-embed-text',
		usage: { prompt_tokens: tokens, total_tokens: tokens },
	},
})

describe('the embedding config', () => {
	it('takes a model of a kind that serves embeddings, with an optional length', () => {
		const base = { model: { primary: 'offline:echo' } }
		expect(issues({ ...base, embedding: { model: 'offline:embed', dimensions: 64 } })).toEqual([])
		expect(issues({ ...base, embedding: { model: 'openai:text-embedding-3-small' } })).toEqual([])
		expect(issues({ ...base, embedding: { model: 'workers-ai:@cf/baai/bge-m3' } })).toEqual([])
		expect(issues({ ...base, embedding: { model: 'anthropic:claude-sonnet-4-5' } })).toEqual([
			'embedding.model: anthropic serves no embedding models: use offline, workers-ai, openai, openai-compatible',
		])
		expect(issues({ ...base, embedding: { model: 'nowhere:x' } })[0]).toContain(
			'unknown provider "nowhere"',
		)
		expect(
			issues({ ...base, embedding: { model: 'workers-ai:@cf/baai/bge-m3', dimensions: 64 } }),
		).toEqual([
			'embedding.dimensions: workers-ai embedding models give vectors of their own length: leave dimensions out',
		])
		expect(issues({ ...base, embedding: { model: 'offline:embed', extra: 1 } })).toHaveLength(1)
	})

	it("names the built-in provider's default key it implies, at embedding.model", () => {
		const config = AgentConfig.parse({
			model: { primary: 'offline:echo' },
			embedding: { model: 'openai:text-embedding-3-small' },
		})
		expect(secretReferences(config)).toEqual([
			{
				path: 'embedding.model',
				name: 'OPENAI_API_KEY',
				officialFor: 'openai',
				via: 'openai',
				implicit: true,
			},
		])
	})
})

describe('the offline embedding model', () => {
	it('is a unit vector of hashed words: deterministic, case-blind, different for other words', () => {
		const a = offlineEmbedding('Hello, world', 128)
		expect(a).toHaveLength(128)
		expect(Math.hypot(...a)).toBeCloseTo(1, 10)
		expect(offlineEmbedding('hello world', 128)).toEqual(a)
		expect(offlineEmbedding('goodbye world', 128)).not.toEqual(a)
		expect(offlineEmbedding('...', 8)).toEqual([1, 0, 0, 0, 0, 0, 0, 0])
	})
})

describe('calling the embedding model', () => {
	it("sends the tenant's own key to the URL it chose, with the length asked for", async () => {
		const wire = scriptedFetch(() => openAIEmbeddings([[0.5, -0.25]], 7))
		const out = await embedTexts(
			{ env: {}, credentials, urlRules: tenantUrlRules({}), fetch: wire.fetch },
			{
				tenantId: 't',
				config: compatible('https://llm.example.com/v1'),
				values: ['hi'],
				dimensions: 2,
			},
		)
		expect(out).toMatchObject({ ok: true, embeddings: [[0.5, -0.25]], tokens: 7 })
		expect(out.call).toMatchObject({
			model: 'local:nomic-embed-text',
			profile: 'k',
			inputTokens: 7,
		})
		expect(wire.exchanges.map((x) => x.url)).toEqual(['https://llm.example.com/v1/embeddings'])
		expect(wire.exchanges[0]?.headers.authorization).toBe(`Bearer ${OWN_VALUE}`)
		expect(wire.exchanges[0]?.body).toMatchObject({
			model: 'nomic-embed-text',
			input: ['hi'],
			dimensions: 2,
		})
	})

	it('sends nothing with a key that is not the tenant’s, or to a private address', async () => {
		for (const config of [
			compatible('https://llm.example.com/v1', 'EDGECLAW_ADMIN_TOKEN'),
			compatible('https://10.0.0.1/v1'),
			compatible('http://llm.example.com/v1'),
		]) {
			const wire = scriptedFetch(() => openAIEmbeddings([[1]], 1))
			const out = await embedTexts(
				{ env: {}, credentials, urlRules: tenantUrlRules({}), fetch: wire.fetch },
				{ tenantId: 't', config, values: ['hi'], dimensions: undefined },
			)
			expect(out.ok).toBe(false)
			if (!out.ok) expect(out.error.code).toBe('provider_not_configured')
			expect(out.call).toBeUndefined()
			expect(wire.exchanges).toEqual([])
		}
	})

	it('a provider error fails the call and is accounted with its class', async () => {
		const wire = scriptedFetch(() => ({
			status: 429,
			headers: {},
			body: { error: { message: 'slow down', type: 'rate_limit' } },
		}))
		const out = await embedTexts(
			{ env: {}, credentials, urlRules: tenantUrlRules({}), fetch: wire.fetch },
			{
				tenantId: 't',
				config: compatible('https://llm.example.com/v1'),
				values: ['hi'],
				dimensions: undefined,
			},
		)
		expect(out.ok).toBe(false)
		if (!out.ok) expect(out.error.status).toBe(429)
		expect(out.call).toMatchObject({ outcome: 'rate_limit', status: 429, inputTokens: 0 })
		expect(wire.exchanges).toHaveLength(1)
	})

	it("splits a batch at the OpenAI model's 300,000 bytes per call, in order, tokens summed", async () => {
		const wire = scriptedFetch((x, n) => {
			const input = (x.body as { input: string[] }).input
			return openAIEmbeddings(
				input.map((text) => [n, text.length]),
				input.length * 10,
			)
		})
		const config = AgentConfig.parse({
			model: { primary: 'offline:echo' },
			providers: {
				gpt: {
					kind: 'openai',
					baseURL: 'https://openai.test/v1',
					profiles: [{ id: 'k', secret: 'OWN_KEY' }],
				},
			},
			embedding: { model: 'gpt:text-embedding-3-small' },
		}) as AgentConfig & { embedding: NonNullable<AgentConfig['embedding']> }
		const values = ['a', 'b', 'c', 'd'].map((c, i) => c.repeat(100_000 - i))
		const out = await embedTexts(
			{ env: {}, credentials, urlRules: tenantUrlRules({}), fetch: wire.fetch },
			{ tenantId: 't', config, values, dimensions: undefined },
		)
		expect(wire.exchanges.map((x) => (x.body as { input: string[] }).input.length)).toEqual([3, 1])
		expect(out).toMatchObject({
			ok: true,
			embeddings: [
				[1, 100_000],
				[1, 99_999],
				[1, 99_998],
				[2, 99_997],
			],
			tokens: 40,
		})
	})

	it('Workers AI through its binding; tokens estimated when the binding reports none', async () => {
		const runs: unknown[] = []
		const AI = {
			run: async (model: string, input: { text: string[] }) => {
				runs.push([model, input])
				return { shape: [input.text.length, 2], data: input.text.map(() => [0.6, 0.8]) }
			},
		}
		const config = AgentConfig.parse({
			model: { primary: 'offline:echo' },
			embedding: { model: 'workers-ai:@cf/baai/bge-m3' },
		}) as AgentConfig & { embedding: NonNullable<AgentConfig['embedding']> }
		const out = await embedTexts(
			{ env: { AI }, credentials, urlRules: tenantUrlRules({}) },
			{ tenantId: 't', config, values: ['abcdefgh', 'x'], dimensions: undefined },
		)
		expect(out).toMatchObject({
			ok: true,
			embeddings: [
				[0.6, 0.8],
				[0.6, 0.8],
			],
			tokens: 3,
		})
		expect(runs).toEqual([['@cf/baai/bge-m3', { text: ['abcdefgh', 'x'] }]])
	})
})
