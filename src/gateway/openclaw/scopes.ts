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
 * The most a role can hold. Pairing and talk are not offered: edgeclaw has neither surface.
 * Questions (an agent asking the operator) go with writing: whoever may chat may answer.
 */
const CEILING: Record<Role, Scope[]> = {
	viewer: ['operator.read'],
	member: ['operator.read', 'operator.write', 'operator.questions'],
	operator: ['operator.read', 'operator.write', 'operator.approvals', 'operator.questions'],
	admin: [
		'operator.read',
		'operator.write',
		'operator.approvals',
		'operator.questions',
		'operator.admin',
	],
}

/**
 * Asked ∩ ceiling. Asking for `operator.admin` asks for everything it implies (OpenClaw's stock
 * client asks for exactly that), so a lesser role gets its whole ceiling rather than nothing; a
 * client that asks for nothing gets `operator.read` only.
 */
export function grantScopes(role: Role, asked: readonly string[] | undefined): Scope[] {
	const ceiling = CEILING[role]
	const wanted = asked && asked.length > 0 ? asked : ['operator.read']
	if (wanted.includes('operator.admin')) return [...ceiling]
	return ceiling.filter((s) => wanted.includes(s))
}

/** `operator.admin` implies every other operator scope, as in OpenClaw. */
export const holds = (granted: readonly Scope[], needed: Scope): boolean =>
	granted.includes(needed) || granted.includes('operator.admin')
