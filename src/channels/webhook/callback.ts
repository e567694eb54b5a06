// The generic webhook's replies: a Standard-Webhooks-signed POST to the channel's callback URL,
// one per message of the reply or per approval prompt.
import { hex } from '../../security/bytes'
import { APPROVAL_BUTTONS } from '../approval-buttons'
import { sendResultOf, unreachable } from '../http'
import type { ChannelContext, Outbound, SendResult } from '../plugin'
import { WebhookTarget } from './inbound'
import { standardWebhookHeaders } from './standard-webhooks'

export interface CallbackConfig {
	callbackUrl?: string
	secrets: { signingSecret: string; callbackSecret?: string }
}

const encoder = new TextEncoder()

export async function sendToCallback(
	ctx: ChannelContext<CallbackConfig>,
	message: Outbound,
): Promise<SendResult> {
	const url = ctx.config.callbackUrl
	if (!url) return { ok: false, error: 'webhook: no callbackUrl', permanent: true }
	const parsed = WebhookTarget.safeParse(message.target)
	if (!parsed.success)
		return {
			ok: false,
			error: 'webhook: the reply target is not a webhook target',
			permanent: true,
		}
	const { peer, thread, eventId } = parsed.data
	// A prompt lists its choices; the caller answers with `{ action: { approvalId, choice } }`.
	const payload =
		message.kind === 'text'
			? {
					type: 'message',
					text: message.text,
					part: message.part,
					parts: message.parts,
					peer,
					thread,
					inReplyTo: eventId,
				}
			: { type: 'approval', approval: message.approval, peer, thread, actions: APPROVAL_BUTTONS }
	const body = JSON.stringify(payload)
	let secret: string
	try {
		secret = await ctx.secret(
			ctx.config.secrets.callbackSecret ? 'callbackSecret' : 'signingSecret',
		)
	} catch (error) {
		// Possibly passing (the secrets store is down): retried until the delivery's deadline.
		return unreachable('webhook: read the signing secret', error)
	}
	const id = message.id ? `msg_${message.id}` : await deliveryId(ctx.channelId, body)
	const timestamp = Math.floor(ctx.now() / 1000)
	let headers: Record<string, string>
	try {
		headers = await standardWebhookHeaders(secret, id, timestamp, body)
	} catch {
		return {
			ok: false,
			error: 'webhook: the signing secret is not whsec_<base64>',
			permanent: true,
		}
	}
	try {
		return await sendResultOf(
			await ctx.fetch(url, { method: 'POST', headers, body, signal: message.signal }),
			'webhook: POST the callback',
		)
	} catch (error) {
		return unreachable('webhook: POST the callback', error)
	}
}

/**
 * A `webhook-id` for a message without a delivery id (the outbox always gives one): the same on
 * every retry, as the spec asks, derived from the channel and the payload.
 */
async function deliveryId(channelId: string, body: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`${channelId}\n${body}`))
	return `msg_${hex(digest).slice(0, 32)}`
}
