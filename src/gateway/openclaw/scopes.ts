// OpenClaw operator scopes and edgeclaw roles. A connection's scopes are what it asked for,
// capped by what its credential's role may hold; every method needs one scope (the client's
// view) and, where it touches tenant data, an edgeclaw policy action (the same decision an HTTP
// route gets). Both must allow.
import type { Role } from '../../security/keys'

export const SCOPES = [
	'operator.read',
	'operator.write',
	'operator.approvals',
	'operator.questions',
	'operator.admin',
	'operator.pairing',
	'operator.talk',
	'operator.talk.secrets',
] as const
export type Scope = (typeof SCOPES)[number]

/**
 * The most a role can hold. Talk is not offered: edgeclaw has no such surface. Questions (an agent
 * asking the operator) go with writing: whoever may chat may answer. Pairing (deciding which
 * devices may connect) goes with the roles that may approve devices: operator and admin.
 */
const CEILING: Record<Role, Scope[]> = {
	viewer: ['operator.read'],
	member: ['operator.read', 'operator.write', 'operator.questions'],
	operator: [
		'operator.read',
		'operator.write',
		'operator.approvals',
		'operator.questions',
		'operator.pairing',
	],
	admin: [
		'operator.read',
		'operator.write',
		'operator.approvals',
		'operator.questions',
		'operator.pairing',
		'operator.admin',
	],
}

/** Roles from least to most: each one's ceiling contains the one before. */
const ROLE_ORDER: readonly Role[] = ['viewer', 'member', 'operator', 'admin']

/**
 * Asked ∩ ceiling. Asking for `operator.admin` asks for everything it implies (OpenClaw's stock
 * client asks for exactly that), so a lesser role gets its whole ceiling rather than nothing; a
 * client that asks for nothing gets `operator.read` only.
 */
export function grantScopes(role: Role, asked: readonly string[] | undefined): Scope[] {
	return capScopes(CEILING[role], asked)
}

/** Asked ∩ `ceiling`, with grantScopes's reading of `operator.admin` and of asking for nothing. */
export function capScopes(
	ceiling: readonly Scope[],
	asked: readonly string[] | undefined,
): Scope[] {
	const wanted = asked && asked.length > 0 ? asked : ['operator.read']
	if (wanted.includes('operator.admin')) return [...ceiling]
	return ceiling.filter((s) => wanted.includes(s))
}

/**
 * What a device may hold once approved: what it asked for, of what its approver holds (never
 * more), and the least role whose ceiling covers that — the edgeclaw role it then acts as, never
 * above the approver's (every scope of the device is in the approver's ceiling). Empty when the
 * approver holds none of it: such a request cannot be approved by that approver.
 */
export function deviceGrant(
	asked: readonly string[],
	approver: readonly Scope[],
): { scopes: Scope[]; role: Role } {
	const scopes = CEILING.admin.filter((s) => asked.includes(s) && holds(approver, s))
	// Asking for nothing asks for reading, as at connect; never for what the approver lacks.
	const fallback: Scope[] = holds(approver, 'operator.read') ? ['operator.read'] : []
	const granted = scopes.length > 0 ? scopes : fallback
	const role = ROLE_ORDER.find((r) => granted.every((s) => CEILING[r].includes(s))) ?? 'admin'
	return { scopes: granted, role }
}

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s)

/** `operator.admin` implies every other operator scope, as in OpenClaw. */
export const holds = (granted: readonly Scope[], needed: Scope): boolean =>
	granted.includes(needed) || granted.includes('operator.admin')

/** Whether `holder` is at least `role` (each role's ceiling contains the lesser ones'). */
export const roleCovers = (holder: Role, role: Role): boolean =>
	ROLE_ORDER.indexOf(holder) >= ROLE_ORDER.indexOf(role)
