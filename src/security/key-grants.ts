// What a principal may hand to an API key it creates or rotates: never more than it holds. The
// key's role is at most the creator's, and a scoped creator only passes on scopes its own cover.
// Pure: no storage, no clock, so the rule is reviewed and property-tested on its own.
import { ROLES, type Role } from './keys'
import { matchesPattern } from './policy'
import type { PrincipalKind } from './subject'

/** `admin` > `operator` > `member` > `viewer`: each role's built-in actions include the next's. */
const RANK: Record<Role, number> = Object.fromEntries(
	ROLES.map((role, i) => [role, ROLES.length - i]),
) as Record<Role, number>

export const roleAtMost = (role: Role, ceiling: Role): boolean => RANK[role] <= RANK[ceiling]

/**
 * True when every action `inner` matches is also matched by `outer` (both `*`-patterns). `*` in
 * `outer` matches any run of characters — `*` included — and a literal never equals `*`, so
 * matching `outer` against the text of `inner` is exactly containment: if `inner`'s stars were
 * filled with a character `outer` never names, only `outer`'s stars could absorb them. Sound
 * over any alphabet; it may refuse a pair that is contained only because every real action has
 * a colon (`*:*` does not cover `*`), which errs on the side of refusing.
 */
export const patternCovers = (outer: string, inner: string): boolean => matchesPattern(outer, inner)

export interface Grantor {
	kind: PrincipalKind
	role: Role
	/** Empty = unscoped: whatever the role allows. */
	scopes: readonly string[]
}

export interface Grant {
	role: Role
	scopes: readonly string[]
}

export type GrantCheck =
	| { ok: true }
	| { ok: false; reason: 'role'; role: Role; ceiling: Role }
	| { ok: false; reason: 'unscoped'; ceiling: readonly string[] }
	| { ok: false; reason: 'scopes'; uncovered: string[]; ceiling: readonly string[] }

/**
 * May `by` create (or rotate into being) a key with `grant`? The platform admin may grant
 * anything; others at most their role, and a scoped principal only a non-empty scope list whose
 * every entry one of its own scopes covers (an empty list would mean "everything the role
 * allows").
 */
export function checkGrant(by: Grantor, grant: Grant): GrantCheck {
	if (by.kind === 'platform') return { ok: true }
	if (!roleAtMost(grant.role, by.role)) {
		return { ok: false, reason: 'role', role: grant.role, ceiling: by.role }
	}
	if (by.scopes.length === 0) return { ok: true }
	if (grant.scopes.length === 0) return { ok: false, reason: 'unscoped', ceiling: by.scopes }
	const uncovered = grant.scopes.filter((s) => !by.scopes.some((own) => patternCovers(own, s)))
	if (uncovered.length > 0) return { ok: false, reason: 'scopes', uncovered, ceiling: by.scopes }
	return { ok: true }
}
