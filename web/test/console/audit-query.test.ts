import { describe, expect, it } from 'vitest'
import { auditQuery, localToIso, NO_FILTERS } from '../../src/console/audit-query'

describe('localToIso', () => {
	it('reads a datetime-local value in the local zone', () => {
		expect(localToIso('2026-03-10T08:15')).toBe(new Date(2026, 2, 10, 8, 15).toISOString())
	})

	it('is undefined for empty or nonsense', () => {
		expect(localToIso('')).toBeUndefined()
		expect(localToIso('not a time')).toBeUndefined()
	})
})

describe('auditQuery', () => {
	it('leaves empty filters out', () => {
		expect(auditQuery(NO_FILTERS)).toEqual({
			action: undefined,
			actor: undefined,
			outcome: undefined,
			from: undefined,
			to: undefined,
			cursor: undefined,
			limit: 100,
		})
	})

	it('trims text, keeps the outcome and cursor, converts times', () => {
		const query = auditQuery(
			{
				action: ' key.created ',
				actor: 'admin',
				outcome: 'deny',
				from: '2026-03-10T00:00',
				to: '',
			},
			42,
			50,
		)
		expect(query).toMatchObject({
			action: 'key.created',
			actor: 'admin',
			outcome: 'deny',
			from: new Date(2026, 2, 10).toISOString(),
			to: undefined,
			cursor: 42,
			limit: 50,
		})
	})
})
