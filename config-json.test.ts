import { describe, expect, it } from 'vitest'
import {
	errorsByField,
	lineAndColumn,
	parseConfig,
	stableJson,
} from '../../src/console/config-json'

describe('stableJson', () => {
	it('sorts keys at every depth, arrays kept in order', () => {
		expect(stableJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 2 } })).toBe(
			JSON.stringify({ a: { c: 2, d: [3, { y: 2, z: 1 }] }, b: 1 }, null, 2),
		)
	})
})

describe('parseConfig', () => {
	it('parses an object', () => {
		expect(parseConfig('{"model": {"primary": "offline:echo"}}')).toEqual({
			ok: true,
			config: { model: { primary: 'offline:echo' } },
		})
	})

	it('names the line of a syntax error', () => {
		const parsed = parseConfig('{\n  "a": 1,\n  oops\n}')
		expect(parsed.ok).toBe(false)
		if (!parsed.ok) expect(parsed.message).toMatch(/line 3/)
	})

	it('refuses JSON that is not an object', () => {
		for (const text of ['[]', 'null', '42', '"x"']) {
			const parsed = parseConfig(text)
			expect(parsed.ok).toBe(false)
			if (!parsed.ok) expect(parsed.message).toMatch(/JSON object/)
		}
	})
})

describe('lineAndColumn', () => {
	it('counts from one', () => {
		expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 })
		expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 })
	})
})

describe('errorsByField', () => {
	it('sorts server errors to the field their path starts with', () => {
		const byField = errorsByField([
			{ path: 'config.model.primary', message: 'must look like "provider:model"' },
			{ path: 'name', message: 'too short' },
			{ path: 'id', message: 'bad slug' },
			{ path: '(root)', message: 'unknown field' },
			{ path: 'configuration', message: 'unknown field' },
		])
		expect(byField.config.map((e) => e.path)).toEqual(['config.model.primary'])
		expect(byField.name.map((e) => e.path)).toEqual(['name'])
		expect(byField.id.map((e) => e.path)).toEqual(['id'])
		expect(byField.other.map((e) => e.path)).toEqual(['(root)', 'configuration'])
	})
})
