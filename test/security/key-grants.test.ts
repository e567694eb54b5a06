// The rule for what a key may hand on (src/security/key-grants.ts), checked as properties: scope
// containment is exactly "every action the inner pattern matches, the outer matches too", and a
// grant never exceeds its grantor's role or scopes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkGrant, patternCovers, roleAtMost } from '../../src/security/key-grants'
import { ROLES } from '../../src/security/keys'
import { matchesPattern } from '../../src/security/policy'

// A small alphabet makes overlaps (and so the interesting cases) frequent.
const char = fc.constantFrom('a', 'b', ':')
const text = fc.string({ unit: char, maxLength: 6 })
const pattern = fc.string({ unit: fc.constantFrom('a', 'b', ':', '*'), maxLength: 6 })
/** One concrete value of a pattern: each `*` filled with some text. */
const instance = (p: string, fills: string[]) =>
	p
		.split('*')
		.map((part, i) => (i === 0 ? part : `${fills[i - 1] ?? ''}${part}`))
		.join('')

describe('patternCovers', () => {
	it('is sound: whatever the inner pattern matches, the outer matches', () => {
		fc.assert(
			fc.property(pattern, pattern, fc.array(text, { maxLength: 6 }), (outer, inner, fills) => {
				fc.pre(patternCovers(outer, inner))
				expect(matchesPattern(outer, instance(inner, fills))).toBe(true)
			}),
			{ numRuns: 2_000 },
		)
	})

	it('is exact: when it says no, some action matches the inner pattern and not the outer', () => {
		fc.assert(
			fc.property(pattern, pattern, (outer, inner) => {
				fc.pre(!patternCovers(outer, inner))
				// `#` appears in no outer pattern, so only the outer's `*` could match it.
				const witness = inner.replaceAll('*', '#')
				expect(matchesPattern(inner, witness)).toBe(true)
				expect(matchesPattern(outer, witness)).toBe(false)
			}),
			{ numRuns: 2_000 },
		)
	})

	it('is reflexive and transitive, and `*` covers every pattern', () => {
		fc.assert(
			fc.property(pattern, pattern, pattern, (a, b, c) => {
				expect(patternCovers(a, a)).toBe(true)
				expect(patternCovers('*', a)).toBe(true)
				if (patternCovers(a, b) && patternCovers(b, c)) expect(patternCovers(a, c)).toBe(true)
			}),
			{ numRuns: 2_000 },
		)
	})

	it('handles wildcards inside wildcards', () => {
		expect(patternCovers('sessions:*', 'sessions:read')).toBe(true)
		expect(patternCovers('sessions:*', 'sessions:re*')).toBe(true)
		expect(patternCovers('sessions:re*', 'sessions:*')).toBe(false)
		expect(patternCovers('*:read', 'sessions:*')).toBe(false)
		expect(patternCovers('s*:*', 'sessions:*')).toBe(true)
		expect(patternCovers('*s*', 's*')).toBe(true)
		expect(patternCovers('s*', '*s*')).toBe(false)
		expect(patternCovers('*:*', '*')).toBe(false)
		expect(patternCovers('keys:create', 'keys:*')).toBe(false)
		expect(patternCovers('keys:create', '*')).toBe(false)
	})
})

const role = fc.constantFrom(...ROLES)
const scopes = fc.array(pattern, { maxLength: 4 })
const kind = fc.constantFrom('api-key' as const, 'jwt' as const)

describe('checkGrant', () => {
	it('never grants a higher role, an unscoped key from a scoped one, or an uncovered scope', () => {
		fc.assert(
			fc.property(kind, role, scopes, role, scopes, (k, byRole, byScopes, gRole, gScopes) => {
				const by = { kind: k, role: byRole, scopes: byScopes }
				const check = checkGrant(by, { role: gRole, scopes: gScopes })
				const within =
					roleAtMost(gRole, byRole) &&
					(byScopes.length === 0 ||
						(gScopes.length > 0 && gScopes.every((g) => byScopes.some((s) => patternCovers(s, g)))))
				expect(check.ok).toBe(within)
			}),
			{ numRuns: 2_000 },
		)
	})

	it('lets the platform admin grant anything', () => {
		fc.assert(
			fc.property(role, scopes, (r, s) => {
				expect(
					checkGrant({ kind: 'platform', role: 'admin', scopes: [] }, { role: r, scopes: s }),
				).toEqual({ ok: true })
			}),
		)
	})

	it('names what exceeded', () => {
		const scoped = { kind: 'api-key' as const, role: 'admin' as const, scopes: ['keys:create'] }
		expect(checkGrant(scoped, { role: 'admin', scopes: [] })).toEqual({
			ok: false,
			reason: 'unscoped',
			ceiling: ['keys:create'],
		})
		expect(checkGrant(scoped, { role: 'admin', scopes: ['keys:create', 'policies:*'] })).toEqual({
			ok: false,
			reason: 'scopes',
			uncovered: ['policies:*'],
			ceiling: ['keys:create'],
		})
		expect(
			checkGrant({ kind: 'jwt', role: 'operator', scopes: [] }, { role: 'admin', scopes: ['x:y'] }),
		).toEqual({ ok: false, reason: 'role', role: 'admin', ceiling: 'operator' })
		expect(checkGrant(scoped, { role: 'viewer', scopes: ['keys:create'] })).toEqual({ ok: true })
	})
})
