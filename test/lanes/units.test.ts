// Small pure pieces of the lane layer: names, the offline model's directives, schema versions.
import { env, runInDurableObject } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	chunk,
	longAnswer,
	OfflineLanguageModel,
	parseOfflineInput,
} from '../../src/agents/models/offline'
import { laneName, parseLaneName, SessionKey } from '../../src/lanes/name'
import { LaneStore, SCHEMA_VERSION } from '../../src/lanes/store'
import { postJson } from '../helpers'

describe('lane names', () => {
	it('round-trip and keep tenants apart', () => {
		fc.assert(
			fc.property(
				fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
				fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
				fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,40}$/),
				(tenantId, agentId, sessionKey) => {
					const ref = { tenantId, agentId, sessionKey }
					expect(SessionKey.safeParse(sessionKey).success).toBe(true)
					expect(parseLaneName(laneName(ref))).toEqual(ref)
					expect(laneName({ ...ref, tenantId: `${tenantId}x` })).not.toBe(laneName(ref))
				},
			),
		)
	})

	it('reject keys that could break the name', () => {
		for (const bad of ['', 'a/b', '-x', ' x', 'x y', 'k'.repeat(257), '../x']) {
			expect(SessionKey.safeParse(bad).success).toBe(false)
		}
		expect(parseLaneName('_readiness')).toBeUndefined()
	})
})

describe('offline model', () => {
	it('parses its directives', () => {
		expect(parseOfflineInput('hello')).toEqual({ kind: 'echo', text: 'hello' })
		expect(parseOfflineInput('/slow 250 later')).toEqual({ kind: 'slow', ms: 250, text: 'later' })
		expect(parseOfflineInput('/slow 9999999')).toEqual({ kind: 'slow', ms: 600_000, text: '' })
		expect(parseOfflineInput('/fail 429')).toEqual({ kind: 'fail', status: 429 })
		expect(parseOfflineInput('/fail abc')).toEqual({ kind: 'echo', text: '/fail abc' })
	})

	it('answers /long with exactly that many characters, the same every time', async () => {
		expect(parseOfflineInput('/long 5000')).toEqual({ kind: 'long', chars: 5000 })
		for (const bad of ['/long 0', '/long 200001', '/long x', '/long 5 more']) {
			expect(parseOfflineInput(bad)).toEqual({ kind: 'echo', text: bad })
		}
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 30_000 }), (n) => {
				const text = longAnswer(n)
				expect(text).toHaveLength(n)
				expect(longAnswer(n)).toBe(text)
				expect(text.trim()).toBe(text)
				const fences = text.match(/^```/gm) ?? []
				expect(fences).toHaveLength(n >= 400 ? 2 : 0)
				if (n >= 400) {
					expect(text).toMatch(/\n\n```ts\n[^`]+\n```\n\n/)
					expect(text.split('\n\n').length).toBeGreaterThan(3)
				}
			}),
		)
		expect(longAnswer(200_000)).toHaveLength(200_000)
		const model = new OfflineLanguageModel()
		const answer = await model.doGenerate({
			prompt: [{ role: 'user', content: [{ type: 'text', text: '/long 4500' }] }],
		})
		expect(answer.content).toEqual([{ type: 'text', text: longAnswer(4500) }])
	})

	it('streams its reply in a few deltas that add up', () => {
		fc.assert(
			fc.property(fc.string({ minLength: 1, maxLength: 300 }), (s) => {
				const parts = chunk(s)
				expect(parts.join('')).toBe(s)
				expect(parts.length).toBeLessThanOrEqual(3)
				expect(parts.every((p) => p.length > 0)).toBe(true)
			}),
		)
	})

	it('stops when aborted', async () => {
		const controller = new AbortController()
		const model = new OfflineLanguageModel()
		const turn = model.doStream({
			prompt: [{ role: 'user', content: [{ type: 'text', text: '/slow 10000 x' }] }],
			abortSignal: controller.signal,
		})
		controller.abort(new Error('stop'))
		await expect(turn).rejects.toThrow('stop')
	})
})

describe('lane schema', () => {
	it('migrates to the current version once and leaves fresh objects untouched by reads', async () => {
		const stub = env.SESSION_LANE.getByName('default/main/schema-probe')
		await runInDurableObject(stub, (_i, state) => {
			const store = new LaneStore(state.storage.sql)
			expect(store.exists()).toBe(false)
			expect(store.migrate()).toBe(SCHEMA_VERSION)
			expect(store.getMeta('schema_version')).toBe(String(SCHEMA_VERSION))
			expect(store.migrate()).toBe(SCHEMA_VERSION)
			expect(store.exists()).toBe(true)
		})
	})
})

describe('submit endpoint under arbitrary bodies', () => {
	it('never answers 5xx and never accepts an invalid body', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.record(
					{
						content: fc.oneof(
							fc.string({ maxLength: 50 }),
							fc.array(fc.record({ type: fc.constant('text'), text: fc.string() })),
							fc.jsonValue(),
						),
						mode: fc.oneof(
							fc.constantFrom('followup', 'collect', 'steer', 'interrupt'),
							fc.string(),
						),
						idempotencyKey: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/), fc.string()),
						wait: fc.oneof(fc.boolean(), fc.jsonValue()),
						agent: fc.constantFrom('main', 'ghost', 'BAD'),
					},
					{ requiredKeys: [] },
				),
				async (body) => {
					const res = await postJson('/v1/sessions/prop-1/messages', body)
					expect(res.status).toBeLessThan(500)
					if (res.status >= 400)
						expect(res.headers.get('content-type')).toBe('application/problem+json')
					else expect([200, 202]).toContain(res.status)
					await res.body?.cancel()
				},
			),
			{ numRuns: 150 },
		)
	})
})
