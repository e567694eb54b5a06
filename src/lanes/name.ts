// How sessions are named and addressed. A lane's Durable Object name is tenant/agent/key, so two
// tenants (or two agents of one tenant) can never share a lane.
import { z } from 'zod'
import type { SessionRef } from '../security/subject'

/** Session keys: 1–256 characters of letters, digits and `. _ : @ + = -`, starting alphanumeric. */
export const SessionKey = z
	.string()
	.regex(
		/^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,255}$/,
		'must be 1-256 chars of A-Z, a-z, 0-9 and ._:@+=-, starting with a letter or digit',
	)

export function laneName(ref: SessionRef): string {
	return `${ref.tenantId}/${ref.agentId}/${ref.sessionKey}`
}

/** Inverse of `laneName`; undefined for names that are not lanes (e.g. the readiness lane). */
export function parseLaneName(name: string): SessionRef | undefined {
	const [tenantId, agentId, sessionKey, ...rest] = name.split('/')
	if (!tenantId || !agentId || !sessionKey || rest.length > 0) return undefined
	return { tenantId, agentId, sessionKey }
}
