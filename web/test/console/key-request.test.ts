import { describe, expect, it } from 'vitest'
import { expiresInDays, grantableRoles, parseScopes, tomorrow } from '../../src/console/key-request'

describe('grantableRoles', () => {
	it('offers the caller’s own role and those below it', () => {
		expect(grantableRoles('admin')).toEqual(['admin', 'operator', 'member', 'viewer'])
		expect(grantableRoles('operator')).toEqual(['operator', 'member', 'viewer'])
		expect(grantableRoles('viewer')).toEqual(['viewer'])
	})
})

describe('parseScopes', () => {
	it('splits on commas and spaces, drops blanks and repeats', () => {
		expect(parseScopes(' sessions:*, agents:read,,agents:read  usage:read ')).toEqual([
			'sessions:*',
			'agents:read',
			'usage:read',
		])
		expect(parseScopes('  ')).toEqual([])
	})
})

describe('expiresInDays', () => {
	const now = new Date(2026, 2, 10, 15, 30)

	it('is undefined (never) when empty', () => {
		expect(expiresInDays('', now)).toEqual({ ok: true, days: undefined })
	})

	it('counts calendar days from today', () => {
		expect(expiresInDays('2026-03-11', now)).toEqual({ ok: true, days: 1 })
		expect(expiresInDays('2026-04-10', now)).toEqual({ ok: true, days: 31 })
	})

	it('refuses today, the past, too far and non-dates', () => {
		for (const date of ['2026-03-10', '2025-01-01', '2040-01-01', 'soon']) {
			expect(expiresInDays(date, now).ok).toBe(false)
		}
	})

	it('offers tomorrow as the earliest date', () => {
		expect(tomorrow(now)).toBe('2026-03-11')
		expect(tomorrow(new Date(2026, 11, 31, 9))).toBe('2027-01-01')
	})
})
