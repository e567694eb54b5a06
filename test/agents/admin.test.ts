// Provider health and usage over HTTP; a provider that cannot be reached, end to end; and
// property tests of what parses untrusted text in the model layer.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { classify } from '../../src/agents/models/errors'
import type { HealthBackend } from '../../src/agents/models/health'
import { parseOfflineInput } from '../../src/agents/models/offline'
import { MODEL_HEALTH_NAME } from '../../src/agents/runtime'
import { admin, createAgent, postJson, problem, send } from '../helpers'

describe('provider admin API', () => {
	it('shows cooling and disabled profiles by secret name, and re-enables one', async () => {
		const shared = env.MODEL_HEALTH.getByName(MODEL_HEALTH_NAME) as unknown as HealthBackend
		const key = 'anthropic||ANTHROPIC_API_KEY'
		await shared.report([{ kind: 'profile', key, outcome: 'auth', message: 'invalid x-api-key' }])
		const res = await admin('/v1/admin/providers')
		expect(res.status).toBe(200)
		const body = (await res.json()) as { profiles: { key: string; disabled: { reason: string } }[] }
		expect(body.profiles).toContainEqual(
			expect.objectContaining({ key, disabled: expect.objectContaining({ reason: 'auth' }) }),
		)
		expect((await postJson('/v1/admin/providers/enable', { key })).status).toBe(200)
		const audited = await env.DB.prepare(
			"SELECT action FROM audit_log WHERE target = 'profile:anthropic||ANTHROPIC_API_KEY'",
		).first<{ action: string }>()
		expect(audited?.action).toBe('provider.profile_enabled')
		const again = await postJson('/v1/admin/providers/enable', { key })
		expect(again.status).toBe(404)
		expect((await problem(again)).code).toBe('not_found')
		expect((await postJson('/v1/admin/providers/enable', {})).status).toBe(400)
	})

	it("reports the tenant's usage per day with its budget", async () => {
		await send('usage-api', { content: 'hello', wait: true })
		const res = await admin('/v1/usage')
		expect(res.status).toBe(200)
		const body = (await res.json()) as { dailyTokenBudget: number | null; rows: unknown[] }
		expect(body.dailyTokenBudget).toBeNull()
		expect((await admin('/v1/usage?from=2026-13-01')).status).toBe(400)
		expect((await admin('/v1/usage?from=2026-02-02&to=2026-02-01')).status).toBe(400)
	})
})

/** A public https name that never answers (the reserved .example TLD): the guard lets it out. */
const UNREACHABLE = 'https://model.unreachable.example/v1'

describe('a provider that cannot be reached', () => {
	it('fails the run with a clear error event, and the lane goes on', async () => {
		await createAgent(env.DB, 'unreachable', {
			model: { primary: 'local:llama', fallbacks: ['offline:echo'] },
			providers: { local: { kind: 'openai-compatible', baseURL: UNREACHABLE } },
			limits: { modelCallTimeoutMs: 2_000 },
		})
		const { run } = await send('unreach-1', { agent: 'unreachable', content: 'hi', wait: true })
		// The fallback answers; the failed calls are on the run.
		expect(run.output).toBe('echo: hi')
		await createAgent(env.DB, 'unreachable-solo', {
			model: { primary: 'local:llama' },
			providers: { local: { kind: 'openai-compatible', baseURL: UNREACHABLE } },
			limits: { modelCallTimeoutMs: 2_000 },
		})
		const failed = await send('unreach-2', { agent: 'unreachable-solo', content: 'hi', wait: true })
		expect(failed.run.status).toBe('failed')
		expect(failed.run.error?.code).toBe('models_exhausted')
		expect(failed.run.error?.message).toMatch(/local:llama: (network|timeout|server)/)
		const next = await send('unreach-2', { agent: 'unreachable-solo', content: '/fail 400' })
		expect(next.res.status).toBe(202)
	})
})

describe('parsers of untrusted text', () => {
	it('the offline directive parser takes any text without throwing', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 300 }), (text) => {
				const d = parseOfflineInput(text)
				expect(['echo', 'slow', 'fail', 'tool']).toContain(d.kind)
				if (d.kind === 'slow') expect(d.ms).toBeLessThanOrEqual(600_000)
			}),
			{ numRuns: 2_000 },
		)
	})

	it("classes workerd's failed outbound fetch as a network failure, not a bad response", () => {
		const failed = new Error('internal error; reference = kffcugisq1fh6s9i570afi60')
		expect(classify(failed)).toEqual({ kind: 'network', message: failed.message })
		expect(classify(new Error('Network connection lost.')).kind).toBe('network')
		expect(classify(new Error('Unexpected token < in JSON')).kind).toBe('bad_response')
	})

	it('the failure classifier sorts any thrown value into a class', () => {
		fc.assert(
			fc.property(fc.anything(), (value) => {
				const f = classify(value)
				expect(typeof f.kind).toBe('string')
				expect(typeof f.message).toBe('string')
			}),
			{ numRuns: 2_000 },
		)
	})
})
