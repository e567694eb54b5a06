// Any system that speaks Standard Webhooks 1.0: it POSTs signed messages (or approval decisions),
// and gets the answer in the response (when it waits) or as signed POSTs to its callback URL.
import { z } from 'zod'
import { chunkText } from '../chunk'
import { ChannelUrl, SecretRef } from '../config'
import type { ChannelPlugin, InboundOutcome } from '../plugin'
import { sendToCallback } from './callback'
import { MAX_WAIT_S, parseWebhook, WEBHOOK_TEXT_LIMIT } from './inbound'
import { verifyStandardWebhook } from './standard-webhooks'

export const WebhookConfig = z
	.object({
		secrets: z
			.object({
				/** Verifies inbound requests (`whsec_<base64>`); signs callbacks when no callbackSecret. */
				signingSecret: SecretRef,
				callbackSecret: SecretRef.optional(),
			})
			.strict(),
		/** Where replies are POSTed; without it, only callers that wait get an answer. */
		callbackUrl: ChannelUrl.optional(),
	})
	.strict()
export type WebhookConfig = z.infer<typeof WebhookConfig>

export const webhook: ChannelPlugin<WebhookConfig> = {
	kind: 'webhook',
	title: 'Signed webhook (Standard Webhooks)',
	config: WebhookConfig,
	textLimit: WEBHOOK_TEXT_LIMIT,
	chunk: (text) => chunkText(text, WEBHOOK_TEXT_LIMIT),
	urls: (config) => (config.callbackUrl ? [config.callbackUrl] : []),
	async verify(ctx, req) {
		// A secret that cannot be read throws: the route logs the operator's problem, not a forgery.
		const secret = await ctx.secret('signingSecret')
		return verifyStandardWebhook(secret, req.headers, req.body, ctx.now())
	},
	parse: (_ctx, req) => parseWebhook(req.url, req.headers, req.body),
	respond: (_ctx, inbound, outcome) =>
		inbound.type === 'respond' ? inbound.response : responseOf(outcome),
	send: sendToCallback,
	register: async (_ctx, webhookUrl) => ({
		webhookUrl,
		registered: false,
		instructions: [
			`POST JSON to ${webhookUrl}, signed per Standard Webhooks 1.0 with the channel's signing secret (whsec_<base64>):`,
			'headers webhook-id (unique per message, the same on a retry), webhook-timestamp (Unix seconds, within 300 s of now) and webhook-signature (v1,<base64 HMAC-SHA256(key, id.timestamp.body)>; several space-separated while rotating keys).',
			'A message: {"text": "...", "sender": {"id": "...", "name": "..."}, "peer": {"kind": "dm|group|channel", "id": "..."}, "thread": "..."} (peer defaults to a DM with the sender).',
			'An approval decision: {"action": {"approvalId": "...", "choice": "once|always|deny"}, "sender": {...}, "peer": {...}, "thread": "..."} with the peer and thread of the approval prompt.',
			`To get the answer in the response, add ?wait=<1-${MAX_WAIT_S}> or the header Prefer: wait=<seconds>; otherwise it is POSTed, signed the same way, to the callback URL.`,
		].join('\n'),
	}),
}

function responseOf(outcome: InboundOutcome): Response {
	switch (outcome.kind) {
		case 'accepted':
			return Response.json(
				{ runId: outcome.runId, duplicate: outcome.duplicate, status: 'accepted' },
				{ status: 202 },
			)
		case 'answered':
			return Response.json({
				runId: outcome.runId,
				status: outcome.status,
				output: outcome.output,
				error: outcome.error,
			})
		case 'dropped':
			return Response.json({ status: 'dropped', reason: outcome.reason })
	}
}
