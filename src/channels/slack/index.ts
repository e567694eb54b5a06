// The Slack channel: a Slack app's Events API and interactivity requests (signed with the app's
// signing secret), messages and mentions as envelopes, replies and approval buttons by chat.postMessage.
import { z } from 'zod'
import { chunkText } from '../chunk'
import { ChannelUrl, PlatformId, SecretRef } from '../config'
import type { ChannelPlugin, RawInbound } from '../plugin'
import { sendSlack } from './api'
import { parseSlack } from './parse'

export const SlackConfig = z
	.object({
		secrets: z.object({ botToken: SecretRef, signingSecret: SecretRef }).strict(),
		apiBase: ChannelUrl.default('https://slack.com/api'),
		/** The bot's user id (U…): its mentions are stripped and its own messages ignored. */
		botUserId: PlatformId.optional(),
	})
	.strict()

export type SlackConfig = z.infer<typeof SlackConfig>

const TEXT_LIMIT = 4000
/** Slack's replay window: a signed request older (or newer) than this is refused. */
export const MAX_SKEW_S = 300

const encoder = new TextEncoder()

export const slack: ChannelPlugin<SlackConfig> = {
	kind: 'slack',
	title: 'Slack',
	config: SlackConfig,
	textLimit: TEXT_LIMIT,
	chunk: (text) => chunkText(text, TEXT_LIMIT),
	urls: (config) => [config.apiBase],

	async verify(ctx, req) {
		return signatureValid(await ctx.secret('signingSecret'), req, ctx.now())
	},

	parse: (ctx, req) => parseSlack(req.body, req.headers.get('content-type'), ctx.config.botUserId),

	respond: (_ctx, inbound) =>
		inbound.type === 'respond' ? inbound.response : new Response(null, { status: 200 }),

	send: sendSlack,

	async register(_ctx, webhookUrl) {
		return {
			webhookUrl,
			registered: false,
			instructions: [
				`In the Slack app's settings (api.slack.com/apps):`,
				`1. Event Subscriptions: enable, set the Request URL to ${webhookUrl}, and subscribe to the bot events message.im, message.channels and app_mention.`,
				`2. Interactivity & Shortcuts: enable, set the Request URL to ${webhookUrl} (approval buttons).`,
				'3. OAuth & Permissions: add the bot scopes chat:write, im:history, channels:history and app_mentions:read, then reinstall the app.',
				"4. Store the Bot User OAuth Token and the Signing Secret as the tenant secrets the channel's config names.",
			].join('\n'),
		}
	},
}

/**
 * `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)>` with the
 * timestamp within MAX_SKEW_S of now; crypto.subtle.verify compares in constant time.
 */
async function signatureValid(secret: string, req: RawInbound, nowMs: number): Promise<boolean> {
	const timestamp = req.headers.get('x-slack-request-timestamp')
	const signature = /^v0=([0-9a-f]{64})$/i.exec(req.headers.get('x-slack-signature') ?? '')
	if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature || secret === '') return false
	if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_SKEW_S) return false
	const key = await crypto.subtle.importKey(
		'raw',
		encoder.encode(secret),
		{ name: 'HMAC', hash: 'SHA-256' },
		false,
		['verify'],
	)
	const prefix = encoder.encode(`v0:${timestamp}:`)
	const signed = new Uint8Array(prefix.byteLength + req.body.byteLength)
	signed.set(prefix)
	signed.set(req.body, prefix.byteLength)
	return crypto.subtle.verify('HMAC', key, hexBytes(signature[1] as string), signed)
}

function hexBytes(hex: string): Uint8Array {
	const bytes = new Uint8Array(hex.length / 2)
	for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
	return bytes
}
