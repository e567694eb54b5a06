// Client tools in the agent layer: open calls get a result before the prompt goes out, a client
// tool may not take an agent tool's name, and the offline model's JSON answers follow the schema.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	answerOpenCalls,
	clientToolsOf,
	NO_RESULT,
	ToolNameConflict,
} from '../../src/agents/client-tools'
import { jsonAnswer } from '../../src/agents/models/offline-json'
import type { TurnMessage } from '../../src/agents/runner'

const call = (callId: string, name = 'f') =>
	({ type: 'tool-call', callId, name, args: '{}' }) as const
const result = (callId: string, name = 'f') =>
	({ type: 'tool-result', callId, name, result: 'ok' }) as const

describe('answerOpenCalls', () => {
	it('adds an error result for each unanswered call, right after the results that came', () => {
		const messages: TurnMessage[] = [
			{ role: 'user', content: [{ type: 'text', text: 'q' }] },
			{ role: 'assistant', content: [call('a'), call('b'), call('c')] },
			{ role: 'tool', content: [result('b')] },
			{ role: 'user', content: [{ type: 'text', text: 'next' }] },
		]
		const out = answerOpenCalls(messages)
		expect(out.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'user'])
		expect(out[3]?.content).toEqual([
			{ type: 'tool-result', callId: 'a', name: 'f', result: NO_RESULT, isError: true },
			{ type: 'tool-result', callId: 'c', name: 'f', result: NO_RESULT, isError: true },
		])
	})

	it('leaves a conversation whose calls all have results as it is', () => {
		const messages: TurnMessage[] = [
			{ role: 'assistant', content: [call('a')] },
			{ role: 'tool', content: [result('a')] },
			{ role: 'assistant', content: [{ type: 'text', text: 'done' }] },
		]
		expect(answerOpenCalls(messages)).toEqual(messages)
	})

	it('gives every call of any conversation exactly one result', () => {
		const message = fc.oneof(
			fc.constant<TurnMessage>({ role: 'user', content: [{ type: 'text', text: 'u' }] }),
			fc
				.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 3 })
				.map((ids): TurnMessage => ({ role: 'assistant', content: ids.map((i) => call(`c${i}`)) })),
			fc
				.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 })
				.map((ids): TurnMessage => ({ role: 'tool', content: ids.map((i) => result(`c${i}`)) })),
		)
		fc.assert(
			fc.property(fc.array(message, { maxLength: 12 }), (messages) => {
				const out = answerOpenCalls(messages)
				// Every call is answered before the next non-tool message.
				out.forEach((m, i) => {
					if (m.role !== 'assistant') return
					const answered = new Set<string>()
					for (let j = i + 1; j < out.length && out[j]?.role === 'tool'; j++) {
						for (const p of out[j]?.content ?? [])
							if (p.type === 'tool-result') answered.add(p.callId)
					}
					for (const p of m.content)
						if (p.type === 'tool-call') expect(answered.has(p.callId)).toBe(true)
				})
				// Nothing that was there is lost or reordered.
				expect(out.filter((m) => messages.includes(m))).toEqual(messages)
			}),
		)
	})
})

describe('clientToolsOf', () => {
	const tool = { name: 'lookup', parameters: { type: 'object' } }

	it('offers the client tools unless the choice is none', () => {
		expect(clientToolsOf({ clientTools: [tool] }, [{ name: 'time_now' }])).toEqual([tool])
		expect(clientToolsOf({ clientTools: [tool], toolChoice: 'none' }, [])).toEqual([])
	})

	it("refuses a client tool named like one of the agent's tools", () => {
		expect(() => clientToolsOf({ clientTools: [tool] }, [{ name: 'lookup' }])).toThrow(
			ToolNameConflict,
		)
	})
})

describe('the offline model’s JSON', () => {
	it('builds a value of the schema, following $refs', () => {
		const schema = {
			type: 'object',
			properties: {
				title: { type: 'string', minLength: 12 },
				count: { type: 'integer', exclusiveMinimum: 2 },
				kind: { const: 'k' },
				owner: { $ref: '#/$defs/person' },
				flags: { type: 'array', items: { type: 'boolean' }, minItems: 2 },
				none: { type: 'null' },
			},
			$defs: { person: { type: ['object', 'null'], properties: { name: { type: 'string' } } } },
		}
		expect(JSON.parse(jsonAnswer('hi', schema))).toEqual({
			title: 'hi..........',
			count: 3,
			kind: 'k',
			owner: { name: 'hi' },
			flags: [true, true],
			none: null,
		})
		expect(JSON.parse(jsonAnswer('hi', undefined))).toEqual({ answer: 'hi' })
	})

	it('always answers valid JSON, even for deep or self-referring schemas', () => {
		const schema = fc.letrec<{ node: unknown }>((tie) => ({
			node: fc.oneof(
				{ depthSize: 'small' },
				fc.record({ type: fc.constantFrom('string', 'number', 'integer', 'boolean', 'null') }),
				fc.record({ type: fc.constant('array'), items: tie('node') }),
				fc.record({
					type: fc.constant('object'),
					properties: fc.dictionary(fc.string(), tie('node')),
				}),
				fc.record({ anyOf: fc.array(tie('node'), { maxLength: 3 }) }),
				fc.constant({ $ref: '#' }),
				fc.anything(),
			),
		})).node
		fc.assert(
			fc.property(schema, fc.string(), (s, text) => {
				const answer = jsonAnswer(text, s as Record<string, unknown>)
				expect(() => JSON.parse(answer)).not.toThrow()
			}),
		)
	})
})
