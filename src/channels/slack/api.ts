// Sending to Slack with chat.postMessage: text and Block Kit approval buttons. Slack answers
// HTTP 200 with `{ok:false, error}` for most failures, so the error code decides what a retry can do.
import { z } from 'zod'
import { APPROVAL_BUTTONS, approvalButtonData, approvalText } from '../approval-buttons'
import { retryAfterOf, sendResultOf, unreachable } from '../http'
import type { ChannelContext, Outbound, PeerKind, SendResult } from '../plugin'
import { approvalBlockId } from './peer-kind'

export interface SlackApiConfig {
	secrets: { botToken: string; signingSecret: string }
	apiBase: string
}

/** The reply target parse writes: the conversation, its kind, the thread to answer in. */
const Target = z.looseObject({
	channel: z.string().min(1),
	threadTs: z.string().min(1).optional(),
	peerKind: z.enum(['dm', 'group', 'channel']).optional(),
})

/** Error codes no retry can fix: the token, the conversation or the message itself is wrong. */
const PERMANENT = new Set([
	'account_inactive',
	'as_user_not_supported',
	'cannot_reply_to_message',
	'channel_not_found',
	'ekm_access_denied',
	'enterprise_is_restricted',
	'invalid_arguments',
	'invalid_auth',
	'invalid_blocks',
	'invalid_blocks_format',
	'invalid_charset',
	'invalid_form_data',
	'is_archived',
	'missing_scope',
	'msg_too_long',
	'no_permission',
	'no_text',
	'not_allowed_token_type',
	'not_authed',
	'not_in_channel',
	'restricted_action',
	'restricted_action_non_threadable_channel',
	'restricted_action_read_only_channel',
	'restricted_action_thread_locked',
	'restricted_action_thread_only_channel',
	'team_access_not_granted',
	'token_expired',
	'token_revoked',
	'too_many_attachments',
])

const WHAT = 'slack chat.postMessage'

export async function sendSlack(
	ctx: ChannelContext<SlackApiConfig>,
	message: Outbound,
): Promise<SendResult> {
	const parsed = Target.safeParse(message.target)
	if (!parsed.success) {
		return { ok: false, error: `${WHAT}: the reply target names no channel`, permanent: true }
	}
	const { channel, threadTs, peerKind } = parsed.data
	const where = { channel, ...(threadTs !== undefined && { thread_ts: threadTs }) }
	let payload: object
	try {
		payload =
			message.kind === 'text'
				? { ...where, text: escapeSlack(message.text) }
				: { ...where, ...approvalMessage(message.approval, peerKind) }
	} catch (error) {
		return { ok: false, error: `${WHAT}: ${(error as Error).message}`, permanent: true }
	}
	let response: Response
	try {
		const token = await ctx.secret('botToken')
		response = await ctx.fetch(`${ctx.config.apiBase.replace(/\/+$/, '')}/chat.postMessage`, {
			method: 'POST',
			headers: {
				authorization: `Bearer ${token}`,
				'content-type': 'application/json; charset=utf-8',
			},
			body: JSON.stringify(payload),
			signal: message.signal,
		})
	} catch (error) {
		return unreachable(WHAT, error)
	}
	if (!response.ok) return sendResultOf(response, WHAT)
	const answer = (await response.json().catch(() => null)) as {
		ok?: unknown
		error?: unknown
		ts?: unknown
	} | null
	if (answer?.ok === true) {
		return { ok: true, ...(typeof answer.ts === 'string' && { messageId: answer.ts }) }
	}
	return failureOf(answer?.error, response.headers)
}

function failureOf(code: unknown, headers: Headers): SendResult {
	const name = typeof code === 'string' ? code.slice(0, 100) : 'an answer without ok'
	const error = `${WHAT}: ${name}`
	if (name === 'ratelimited' || name === 'rate_limited') {
		const retryAfterMs = retryAfterOf(headers, '')
		return { ok: false, error, ...(retryAfterMs !== undefined && { retryAfterMs }) }
	}
	if (PERMANENT.has(name)) return { ok: false, error, permanent: true }
	// Unknown codes (internal_error, fatal_error, service_unavailable, new ones) may pass.
	return { ok: false, error }
}

/**
 * Block Kit: the request as plain text (never mrkdwn: the summary is the agent's words), then the
 * buttons, whose block_id names the kind of conversation for the press to route by (peer-kind.ts).
 */
function approvalMessage(
	approval: { id: string; tool: string; summary: string },
	peerKind: PeerKind | undefined,
) {
	const text = approvalText(approval)
	const elements = APPROVAL_BUTTONS.map(({ choice, label }) => {
		const data = approvalButtonData(approval.id, choice)
		return {
			type: 'button',
			action_id: data,
			value: data,
			text: { type: 'plain_text', text: label },
			...(choice === 'once' && { style: 'primary' }),
			...(choice === 'deny' && { style: 'danger' }),
		}
	})
	return {
		text: escapeSlack(text),
		blocks: [
			{ type: 'section', text: { type: 'plain_text', text: text.slice(0, 3000) } },
			{ type: 'actions', ...(peerKind && { block_id: approvalBlockId(peerKind) }), elements },
		],
	}
}

/**
 * The three characters Slack reads as markup; escaped so an answer cannot ping `<!channel>` or
 * link `<@someone>` on the agent's behalf.
 */
function escapeSlack(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
