// A Responses API id names the run it answers and the session that run is in, so that
// `previous_response_id` continues that session and `GET /v1/responses/{id}` finds the run without
// an index: `resp_<base64url("<agentId> <sessionKey> <runId>")>`. It carries no tenant: the caller's
// own tenant addresses the lane, so another tenant's id names a lane of theirs that has no such run.
import { Slug } from '../../agents/config'
import { SessionKey } from '../../lanes/name'

export interface ResponseRef {
	agentId: string
	sessionKey: string
	runId: string
}

const RESPONSE_PREFIX = 'resp_'
const MESSAGE_PREFIX = 'msg_'
/** Run ids are UUIDs; anything of their alphabet and size is let through to the lane to judge. */
const RUN_ID = /^[A-Za-z0-9-]{1,64}$/

function toBase64Url(text: string): string {
	const bytes = new TextEncoder().encode(text)
	let binary = ''
	for (const b of bytes) binary += String.fromCharCode(b)
	return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(token: string): string | undefined {
	if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined
	try {
		const binary = atob(token.replace(/-/g, '+').replace(/_/g, '/'))
		return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
			Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
		)
	} catch {
		return undefined
	}
}

const tokenOf = (ref: ResponseRef): string =>
	toBase64Url(`${ref.agentId} ${ref.sessionKey} ${ref.runId}`)

function refOf(token: string): ResponseRef | undefined {
	const parts = fromBase64Url(token)?.split(' ')
	if (parts?.length !== 3) return undefined
	const [agentId, sessionKey, runId] = parts as [string, string, string]
	if (!Slug.safeParse(agentId).success || !SessionKey.safeParse(sessionKey).success)
		return undefined
	return RUN_ID.test(runId) ? { agentId, sessionKey, runId } : undefined
}

/** The id of the response that is `ref`'s run. */
export const responseIdOf = (ref: ResponseRef): string => `${RESPONSE_PREFIX}${tokenOf(ref)}`

/** The id of the assistant message a run answered with (one per response, for now). */
export const messageIdOf = (ref: ResponseRef): string => `${MESSAGE_PREFIX}${tokenOf(ref)}`

/** The run and session a response id names; undefined for anything that is not such an id. */
export const parseResponseId = (id: string): ResponseRef | undefined =>
	id.startsWith(RESPONSE_PREFIX) && id.length <= 600
		? refOf(id.slice(RESPONSE_PREFIX.length))
		: undefined

/** The run and session an output message id names (an `item_reference` to an earlier answer). */
export const parseMessageId = (id: string): ResponseRef | undefined =>
	id.startsWith(MESSAGE_PREFIX) && id.length <= 600
		? refOf(id.slice(MESSAGE_PREFIX.length))
		: undefined
