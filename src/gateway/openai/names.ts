// How OpenAI's names map onto edgeclaw's: a model id names an agent (`edgeclaw/<agentId>`), and
// a chat completion's session comes from a header, the `user` field, or is new per request.
import { Slug } from '../../agents/config'

export const MODEL_OWNER = 'edgeclaw'
export const SESSION_HEADER = 'x-edgeclaw-session'

/** The model id an agent is listed under. */
export const modelIdOf = (agentId: string): string => `${MODEL_OWNER}/${agentId}`

/**
 * The agent a model id names: `edgeclaw/<agentId>`, `edgeclaw:<agentId>` or a bare `<agentId>`;
 * undefined when it cannot be one (then it is an unknown model, like any agent that is missing).
 */
export function agentIdOf(model: string): string | undefined {
	const bare = model.replace(/^edgeclaw[/:]/, '')
	const parsed = Slug.safeParse(bare)
	return parsed.success ? parsed.data : undefined
}

/** Hex of the SHA-256 of a string. */
async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The session of a chat completion: the `x-edgeclaw-session` header (already validated as a
 * session key); else one per OpenAI `user` (hashed, so any string works and none shows in keys);
 * else a new session for this request alone.
 */
export async function sessionKeyFor(
	header: string | undefined,
	user: string | undefined,
	newId: () => string = () => crypto.randomUUID(),
): Promise<{ sessionKey: string; source: 'header' | 'user' | 'ephemeral' }> {
	if (header !== undefined) return { sessionKey: header, source: 'header' }
	if (user)
		return { sessionKey: `openai-user-${(await sha256Hex(user)).slice(0, 32)}`, source: 'user' }
	return { sessionKey: `openai-${newId()}`, source: 'ephemeral' }
}
