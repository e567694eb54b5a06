// The providers table is the one place a provider kind is described: what the config schema, the
// targets and the security layer's list of official providers derive from it must agree.
import { describe, expect, it } from 'vitest'
import { AgentConfig } from '../../src/agents/config'
import {
	BUILTIN_PROVIDERS,
	contextWindowOf,
	PROVIDER_KINDS,
	PROVIDERS,
} from '../../src/agents/models/providers'
import { targetOf } from '../../src/agents/models/targets'
import { BUILTIN_PROVIDER_KEYS, OFFICIAL_PROVIDERS } from '../../src/security/secrets'

describe('providers table', () => {
	it('lists the kinds in the schema order, and which need a providers entry', () => {
		expect(PROVIDER_KINDS).toEqual([
			'offline',
			'workers-ai',
			'anthropic',
			'openai',
			'openai-compatible',
		])
		expect(BUILTIN_PROVIDERS).toEqual(['offline', 'workers-ai', 'anthropic', 'openai'])
	})

	it("agrees with the security layer's official providers and their default keys", () => {
		const official = PROVIDER_KINDS.filter((k) => PROVIDERS[k].officialEndpoint)
		expect([...OFFICIAL_PROVIDERS].sort()).toEqual([...official].sort())
		const defaults = Object.fromEntries(
			PROVIDER_KINDS.flatMap((k) => {
				const secret = PROVIDERS[k].defaultSecret
				return secret ? [[secret, k]] : []
			}),
		)
		expect(defaults).toEqual(BUILTIN_PROVIDER_KEYS)
	})

	it('knows model families whichever provider serves them; the offline model has one window', () => {
		expect(contextWindowOf('openai-compatible', 'claude-sonnet-4-5')).toBe(200_000)
		expect(contextWindowOf('workers-ai', '@cf/meta/llama-3.3-70b-instruct-fp8-fast')).toBe(128_000)
		expect(contextWindowOf('workers-ai', '@cf/some/other')).toBe(24_000)
		expect(contextWindowOf('openai', 'gpt-4.1-mini')).toBe(1_047_576)
		expect(contextWindowOf('openai-compatible', 'unknown')).toBe(32_000)
		expect(contextWindowOf('offline', 'gpt-5')).toBe(128_000)
		expect(contextWindowOf('anthropic', 'claude-x', 50_000)).toBe(50_000)
	})

	it('gives a built-in kind its default key and official endpoint; a base URL elsewhere none', () => {
		const config = AgentConfig.parse({
			model: { primary: 'anthropic:claude-sonnet-4-5', fallbacks: ['gw:claude-sonnet-4-5'] },
			providers: {
				gw: { kind: 'anthropic', baseURL: 'https://gateway.example.com/v1', profiles: [] },
			},
		})
		expect(targetOf(config, config.model.primary)).toMatchObject({
			kind: 'anthropic',
			officialFor: 'anthropic',
			profiles: [{ id: 'default', secret: 'ANTHROPIC_API_KEY' }],
		})
		expect(targetOf(config, 'gw:claude-sonnet-4-5')).toMatchObject({
			officialFor: undefined,
			profiles: [],
		})
	})

	it('refuses a kind without an endpoint of its own when no baseURL is given', () => {
		const parsed = AgentConfig.safeParse({
			model: { primary: 'x:m' },
			providers: { x: { kind: 'openai-compatible' } },
		})
		expect(parsed.error?.issues[0]).toMatchObject({
			path: ['providers', 'x', 'baseURL'],
			message: 'an openai-compatible provider needs a baseURL',
		})
		const unknown = AgentConfig.safeParse({ model: { primary: 'openai-compatible:m' } })
		expect(unknown.error?.issues[0]?.message).toBe(
			'unknown provider "openai-compatible": use offline, workers-ai, anthropic, openai or define it under "providers"',
		)
	})
})
