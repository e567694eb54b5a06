// Identity in one place: who a run acts for (its schema checks it where it crosses a queue), how
// the audit log and tool records name an actor, and the triple that names a session.
import { z } from 'zod'

/**
 * The kinds of credential a principal presents: the bootstrap admin token, an API key, a JWT, or
 * a paired OpenClaw device's token (on the OpenClaw socket only).
 */
export const PRINCIPAL_KINDS = ['platform', 'api-key', 'jwt', 'device'] as const
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number]

/** Who a run may act for: a principal, or a person writing through a channel (`<channel>:<sender>`). */
export const SUBJECT_KINDS = [...PRINCIPAL_KINDS, 'channel'] as const
export type SubjectKind = (typeof SUBJECT_KINDS)[number]

/** One principal a run acts for: the sender of a message it carries (see tools/principals.ts). */
export const ToolSubject = z
	.object({
		kind: z.enum(SUBJECT_KINDS),
		id: z.string().min(1).max(200),
		role: z.string().min(1).max(32),
		tenantId: z.string().min(1).max(63),
		scopes: z.array(z.string().max(100)).max(100),
		/** Where the message came from: `api` for the HTTP API, `openclaw`, or the channel's id. */
		channel: z.string().min(1).max(100),
	})
	.strict()

export type ToolSubject = z.infer<typeof ToolSubject>

/**
 * `admin-token`, `key:<id>`, `jwt:<subject>`, `device:<device row id>` or
 * `channel:<channel>:<sender>`: who acted, as the audit log names it; never a secret.
 */
export const actorOf = (who: { kind: SubjectKind; id: string }): string =>
	who.kind === 'platform'
		? 'admin-token'
		: who.kind === 'api-key'
			? `key:${who.id}`
			: who.kind === 'channel'
				? `channel:${who.id}`
				: who.kind === 'device'
					? `device:${who.id}`
					: `jwt:${who.id}`

/** Tenant + agent + session key: the identity of a session, and so of its lane and sandbox. */
export interface SessionRef {
	tenantId: string
	agentId: string
	sessionKey: string
}
