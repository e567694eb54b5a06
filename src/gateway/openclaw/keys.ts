// OpenClaw session keys and edgeclaw sessions. OpenClaw names a session `agent:<agentId>:<key>`
// (its default agent is `main`); edgeclaw addresses a lane by tenant, agent and key. A bare key
// (e.g. `main`) belongs to the `main` agent. The mapping is one to one, so a session created
// over HTTP is the same session seen from an OpenClaw client.
import { Slug } from '../../agents/config'
import { SessionKey } from '../../lanes/name'

export const DEFAULT_AGENT = 'main'

export interface ClawSession {
	agentId: string
	sessionKey: string
}

/** Parses an OpenClaw session key; undefined when it names no valid edgeclaw session. */
export function parseClawKey(raw: string): ClawSession | undefined {
	let agentId = DEFAULT_AGENT
	let sessionKey = raw
	if (raw.startsWith('agent:')) {
		const rest = raw.slice('agent:'.length)
		const colon = rest.indexOf(':')
		if (colon <= 0) return undefined
		agentId = rest.slice(0, colon)
		sessionKey = rest.slice(colon + 1)
	}
	if (!Slug.safeParse(agentId).success || !SessionKey.safeParse(sessionKey).success)
		return undefined
	return { agentId, sessionKey }
}

export const clawKey = (s: ClawSession): string => `agent:${s.agentId}:${s.sessionKey}`
