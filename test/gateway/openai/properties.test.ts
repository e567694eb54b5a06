// Property: whatever JSON arrives at /v1/chat/completions, the answer is a completion (or a
// stream of chunks), or a 4xx in OpenAI's error shape — never a 5xx, never problem+json.
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { key } from '../../security/helpers'
import { completion } from './helpers'

let member: string

beforeAll(async () => {
	member = (await key('default', 'member')).secret
})

/** Offline-model directives (`/slow`, `/fail`) would only test the model: defuse them. */
const defuse = (value: unknown): unknown => {
	if (typeof value === 'string') return value.startsWith('/') ? `x${value}` : value
	if (Array.isArray(value)) return value.map(defuse)
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, defuse(v)]))
	}
	return value
}

const content = fc.oneof(
	fc.string({ maxLength: 40 }),
	fc.array(
		fc.oneof(
			fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 20 }) }),
			fc.record({
				type: fc.constantFrom('image_url', 'refusal', 'file', ''),
				text: fc.jsonValue(),
			}),
			fc.jsonValue(),
		),
		{ maxLength: 3 },
	),
	fc.constant(null),
	fc.jsonValue(),
)

const message = fc.oneof(
	fc.record(
		{
			role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function', 'x'),
			content,
			name: fc.string({ maxLength: 10 }),
			tool_calls: fc.array(fc.jsonValue(), { maxLength: 1 }),
		},
		{ requiredKeys: ['role'] },
	),
	fc.jsonValue(),
)

/** Fields OpenAI knows, with values that are sometimes right and often not. */
const fields = fc.record(
	{
		model: fc.oneof(
			fc.constantFrom('main', 'edgeclaw/main', 'edgeclaw:main', 'ghost', ''),
			fc.jsonValue(),
		),
		messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue()),
		stream: fc.oneof(fc.boolean(), fc.jsonValue()),
		stream_options: fc.oneof(fc.record({ include_usage: fc.boolean() }), fc.jsonValue()),
		n: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.jsonValue()),
		temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), fc.jsonValue()),
		max_tokens: fc.oneof(fc.integer({ min: -1, max: 10 }), fc.jsonValue()),
		tools: fc.oneof(fc.constant([]), fc.jsonValue()),
		tool_choice: fc.oneof(fc.constantFrom('none', 'auto', 'required'), fc.jsonValue()),
		user: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
		response_format: fc.oneof(
			fc.record({ type: fc.constantFrom('text', 'json_object') }),
			fc.jsonValue(),
		),
		extra: fc.jsonValue(),
	},
	{ requiredKeys: [] },
)

/** Valid values of optional fields: requests built from them should succeed. */
const validFields = fc.record(
	{
		stream: fc.boolean(),
		n: fc.constant(1),
		temperature: fc.double({ min: 0, max: 2, noNaN: true }),
		max_tokens: fc.integer({ min: 1, max: 4_096 }),
		tools: fc.constant([]),
		tool_choice: fc.constant('none'),
		user: fc.string({ maxLength: 20 }),
		response_format: fc.constant({ type: 'text' }),
		metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), {
			maxKeys: 2,
		}),
	},
	{ requiredKeys: [] },
)

/** A valid request, sometimes with one field from the arbitrary set: exercises success paths. */
const nearlyValid = fc
	.tuple(fc.string({ minLength: 1, maxLength: 30 }), validFields, fields, fc.boolean())
	.map(([text, valid, wild, spoil]) => {
		const [name, value] =
			Object.entries(wild).find(([k]) => k !== 'model' && k !== 'messages') ?? []
		return {
			model: 'main',
			messages: [{ role: 'user', content: `q ${text}` }],
			...valid,
			...(spoil && name ? { [name]: value } : {}),
		}
	})

const bodies = fc.oneof(
	{ weight: 3, arbitrary: fields.map((f) => JSON.stringify(defuse(f))) },
	{ weight: 2, arbitrary: nearlyValid.map((f) => JSON.stringify(defuse(f))) },
	{ weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(defuse(v))) },
)

describe('chat completions under arbitrary JSON', () => {
	it('answers 200 or a 4xx in OpenAI error shape, never 5xx', async () => {
		await fc.assert(
			fc.asyncProperty(bodies, async (body) => {
				const res = await completion(member, body)
				expect(res.status, body).toBeLessThan(500)
				if (res.status === 200) {
					const type = res.headers.get('content-type') ?? ''
					const text = await res.text()
					if (type.startsWith('text/event-stream')) expect(text).toMatch(/^data: /)
					else expect(JSON.parse(text).object).toBe('chat.completion')
					return
				}
				expect(res.status, body).toBeGreaterThanOrEqual(400)
				expect(res.headers.get('content-type')).toBe('application/json')
				const parsed = (await res.json()) as { error: Record<string, unknown> }
				expect(Object.keys(parsed)).toEqual(['error'])
				expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'param', 'type'])
				expect(typeof parsed.error.message).toBe('string')
				expect(parsed.error.type).toBe(
					res.status === 403 ? 'permission_error' : 'invalid_request_error',
				)
				expect(parsed.error.param === null || typeof parsed.error.param === 'string').toBe(true)
			}),
			{ numRuns: 50 },
		)
	})
})
