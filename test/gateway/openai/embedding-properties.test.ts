// Properties of /v1/embeddings: whatever JSON arrives, the answer is an embedding list or a 4xx in
// OpenAI's error shape — never a 5xx, never problem+json; and every list it gives has one unit
// vector per input, in order, of the length asked for.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { call, createAgent } from '../../helpers'
import { key } from '../../security/helpers'

let member: string

beforeAll(async () => {
	await createAgent(env.DB, 'prop-embedder', { embedding: { model: 'offline:embed' } })
	member = (await key('default', 'member')).secret
})

const embed = (body: string) =>
	call('/v1/embeddings', {
		method: 'POST',
		headers: { authorization: `Bearer ${member}`, 'content-type': 'application/json' },
		body,
	})

/** The offline model's `/fail` directive would only test the model: defuse it. */
const defuse = (value: unknown): unknown => {
	if (typeof value === 'string') return value.startsWith('/') ? `x${value}` : value
	if (Array.isArray(value)) return value.map(defuse)
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, defuse(v)]))
	}
	return value
}

const text = fc.string({ minLength: 1, maxLength: 60 })

/** Fields OpenAI knows, with values that are sometimes right and often not. */
const fields = fc.record(
	{
		model: fc.oneof(
			fc.constantFrom('prop-embedder', 'edgeclaw/prop-embedder', 'main', 'ghost', ''),
			fc.jsonValue(),
		),
		input: fc.oneof(
			text,
			fc.array(text, { maxLength: 5 }),
			fc.array(fc.integer(), { maxLength: 5 }),
			fc.array(fc.array(fc.integer(), { maxLength: 3 }), { maxLength: 3 }),
			fc.array(fc.oneof(text, fc.integer(), fc.constant('')), { maxLength: 4 }),
			fc.jsonValue(),
		),
		encoding_format: fc.oneof(fc.constantFrom('float', 'base64', null, 'hex'), fc.jsonValue()),
		dimensions: fc.oneof(fc.integer({ min: -2, max: 9_000 }), fc.constant(null), fc.jsonValue()),
		user: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
		extra: fc.jsonValue(),
	},
	{ requiredKeys: [] },
)

const bodies = fc.oneof(
	{ weight: 3, arbitrary: fields.map((f) => JSON.stringify(defuse(f))) },
	{ weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(defuse(v))) },
	{ weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
)

describe('embeddings under arbitrary JSON', () => {
	it('answers 200 with a list or a 4xx in OpenAI error shape, never 5xx', async () => {
		await fc.assert(
			fc.asyncProperty(bodies, async (body) => {
				const res = await embed(body)
				expect(res.status, body).toBeLessThan(500)
				expect(res.headers.get('content-type'), body).toBe('application/json')
				const parsed = (await res.json()) as Record<string, unknown>
				if (res.status === 200) {
					expect(parsed.object).toBe('list')
					return
				}
				expect(res.status, body).toBeGreaterThanOrEqual(400)
				const error = parsed.error as Record<string, unknown>
				expect(Object.keys(parsed)).toEqual(['error'])
				expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type'])
				expect(error.type).toBe(res.status === 403 ? 'permission_error' : 'invalid_request_error')
			}),
			{ numRuns: 60 },
		)
	})

	it('gives one unit vector per text, in order, of the length asked for', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(text, { minLength: 1, maxLength: 6 }),
				fc.integer({ min: 1, max: 512 }),
				async (input, dimensions) => {
					const body = { model: 'prop-embedder', input: defuse(input), dimensions }
					const res = await embed(JSON.stringify(body))
					expect(res.status).toBe(200)
					const list = (await res.json()) as { data: { index: number; embedding: number[] }[] }
					expect(list.data.map((d) => d.index)).toEqual(input.map((_, i) => i))
					for (const { embedding } of list.data) {
						expect(embedding).toHaveLength(dimensions)
						expect(Math.hypot(...embedding)).toBeCloseTo(1, 4)
					}
				},
			),
			{ numRuns: 25 },
		)
	})
})
