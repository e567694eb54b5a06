// Property: whatever JSON arrives at /v1/responses, the answer is a response (or its events), or
// a 4xx in OpenAI's error shape — never a 5xx, never problem+json.
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers'
import { key } from '../../security/helpers'

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

const part = fc.oneof(
	fc.record({
		type: fc.constantFrom('input_text', 'output_text', 'refusal'),
		text: fc.string({ maxLength: 20 }),
	}),
	fc.record({
		type: fc.constantFrom('input_image', 'input_file', 'input_audio', ''),
		text: fc.jsonValue(),
	}),
	fc.jsonValue(),
)

const item = fc.oneof(
	fc.record(
		{
			type: fc.constantFrom('message', 'item_reference', 'function_call_output', 'reasoning', 'x'),
			role: fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool', 'x'),
			content: fc.oneof(
				fc.string({ maxLength: 30 }),
				fc.array(part, { maxLength: 3 }),
				fc.jsonValue(),
			),
			id: fc.oneof(fc.constantFrom('msg_', 'msg_bWFpbiB4IHk', 'resp_x'), fc.jsonValue()),
		},
		{ requiredKeys: [] },
	),
	fc.jsonValue(),
)

/** Fields OpenAI knows, with values that are sometimes right and often not. */
const fields = fc.record(
	{
		model: fc.oneof(fc.constantFrom('main', 'edgeclaw/main', 'ghost', ''), fc.jsonValue()),
		input: fc.oneof(fc.string({ maxLength: 30 }), fc.array(item, { maxLength: 4 }), fc.jsonValue()),
		instructions: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
		previous_response_id: fc.oneof(
			fc.constantFrom('resp_', 'resp_bWFpbiBvcGVuYWktMSB4', 'x'),
			fc.jsonValue(),
		),
		store: fc.oneof(fc.boolean(), fc.jsonValue()),
		stream: fc.oneof(fc.boolean(), fc.jsonValue()),
		background: fc.oneof(fc.boolean(), fc.jsonValue()),
		temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), fc.jsonValue()),
		max_output_tokens: fc.oneof(fc.integer({ min: -1, max: 10 }), fc.jsonValue()),
		tools: fc.oneof(fc.constant([]), fc.jsonValue()),
		tool_choice: fc.oneof(fc.constantFrom('none', 'auto', 'required'), fc.jsonValue()),
		text: fc.oneof(
			fc.record({ format: fc.record({ type: fc.constantFrom('text', 'json_object') }) }),
			fc.jsonValue(),
		),
		user: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
		metadata: fc.jsonValue(),
		extra: fc.jsonValue(),
	},
	{ requiredKeys: [] },
)

/** A valid request, sometimes with one field from the arbitrary set: exercises success paths. */
const nearlyValid = fc
	.tuple(fc.string({ minLength: 1, maxLength: 30 }), fields, fc.boolean(), fc.boolean())
	.map(([text, wild, spoil, stream]) => {
		const [name, value] = Object.entries(wild).find(([k]) => k !== 'model' && k !== 'input') ?? []
		return {
			model: 'main',
			input: `q ${text}`,
			stream,
			...(spoil && name ? { [name]: value } : {}),
		}
	})

const bodies = fc.oneof(
	{ weight: 3, arbitrary: fields.map((f) => JSON.stringify(defuse(f))) },
	{ weight: 2, arbitrary: nearlyValid.map((f) => JSON.stringify(defuse(f))) },
	{ weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(defuse(v))) },
)

describe('responses under arbitrary JSON', () => {
	it('answers 200 or a 4xx in OpenAI error shape, never 5xx', async () => {
		await fc.assert(
			fc.asyncProperty(bodies, async (body) => {
				const res = await call('/v1/responses', {
					method: 'POST',
					headers: { authorization: `Bearer ${member}`, 'content-type': 'application/json' },
					body,
				})
				expect(res.status, body).toBeLessThan(500)
				if (res.status === 200) {
					const type = res.headers.get('content-type') ?? ''
					const text = await res.text()
					if (type.startsWith('text/event-stream'))
						expect(text).toMatch(/^event: response\.created\n/)
					else expect(JSON.parse(text).object).toBe('response')
					return
				}
				expect(res.status, body).toBeGreaterThanOrEqual(400)
				expect(res.headers.get('content-type')).toBe('application/json')
				const parsed = (await res.json()) as { error: Record<string, unknown> }
				expect(Object.keys(parsed)).toEqual(['error'])
				expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'param', 'type'])
				expect(parsed.error.type).toBe(
					res.status === 403 ? 'permission_error' : 'invalid_request_error',
				)
			}),
			{ numRuns: 60 },
		)
	})
})
