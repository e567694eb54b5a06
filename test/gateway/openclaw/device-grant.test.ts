// What an approved device may hold (scopes.ts: deviceGrant): for any request and any approver,
// never a scope the approver does not hold and never a role above the approver's (fast-check).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	deviceGrant,
	grantScopes,
	holds,
	roleCovers,
	SCOPES,
} from '../../../src/gateway/openclaw/scopes'
import { ROLES } from '../../../src/security/keys'

describe('deviceGrant', () => {
	it('gives the least role covering what the approver holds of the request', () => {
		const operator = grantScopes('operator', ['operator.admin'])
		expect(deviceGrant(['operator.read'], operator)).toEqual({
			scopes: ['operator.read'],
			role: 'viewer',
		})
		expect(deviceGrant(['operator.read', 'operator.write'], operator).role).toBe('member')
		expect(deviceGrant(['operator.admin', 'operator.pairing'], operator)).toEqual({
			scopes: ['operator.pairing'],
			role: 'operator',
		})
		expect(deviceGrant(['operator.talk'], grantScopes('admin', ['operator.admin']))).toEqual({
			scopes: ['operator.read'],
			role: 'viewer',
		})
		// An approver holding only pairing can grant nothing to a device asking to read.
		expect(deviceGrant([], ['operator.pairing']).scopes).toEqual([])
	})

	it('never exceeds its approver (fast-check)', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...ROLES),
				fc.subarray([...SCOPES]),
				fc.subarray([...SCOPES, 'operator.bogus']),
				(role, connectAsked, deviceAsked) => {
					const approver = grantScopes(role, connectAsked)
					const grant = deviceGrant(deviceAsked, approver)
					for (const s of grant.scopes) expect(holds(approver, s)).toBe(true)
					expect(roleCovers(role, grant.role)).toBe(true)
				},
			),
			{ numRuns: 500 },
		)
	})
})
