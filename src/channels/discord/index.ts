// Discord through its Interactions endpoint (HTTP webhooks; Workers hold no Gateway websocket):
// slash commands reach the agent, approval buttons decide approvals, replies go back through the
// interaction's own webhook. Register a command such as `/ask message:<text>` (register does it
// when a bot token is configured).
import { z } from 'zod'
import { chunkText } from '../chunk'
import { ChannelUrl, PlatformId, SecretRef } from '../config'
import type { ChannelPlugin, Inbound, InboundOutcome } from '../plugin'
import { ASK_COMMAND, DISCORD_TEXT_LIMIT, registerAskCommand, sendToInteraction } from './api'
import { CALLBACK, EPHEMERAL, parseInteraction } from './interaction'
import { verifyInteraction } from './signature'

export const DiscordConfig = z
	.object({
		applicationId: PlatformId,
		/** The application's Ed25519 public key (public, not a secret), from the developer portal. */
		publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex chars of the public key'),
		/** Only needed for register to create the `/ask` command; replies need no token. */
		secrets: z.object({ botToken: SecretRef.optional() }).strict().default({}),
		apiBase: ChannelUrl.default('https://discord.com/api/v10'),
	})
	.strict()
export type DiscordConfig = z.infer<typeof DiscordConfig>

export const discord: ChannelPlugin<DiscordConfig> = {
	kind: 'discord',
	title: 'Discord',
	config: DiscordConfig,
	// Discord shows "The application did not respond" after 3 s and never retries.
	ackDeadlineMs: 2_500,
	noticeInResponse: true,
	textLimit: DISCORD_TEXT_LIMIT,
	chunk: (text) => chunkText(text, DISCORD_TEXT_LIMIT),
	urls: (config) => [config.apiBase],
	verify: (ctx, req) => verifyInteraction(ctx.config.publicKey, req.headers, req.body, ctx.now()),
	parse: (ctx, req) => parseInteraction(req.body, ctx.config.applicationId),
	respond: (_ctx, inbound, outcome) =>
		inbound.type === 'respond' ? inbound.response : Response.json(callbackOf(inbound, outcome)),
	send: sendToInteraction,
	async register(ctx, webhookUrl) {
		const command = ctx.config.secrets.botToken
			? await registerAskCommand(ctx)
			: 'No bot token is configured, so create the command by hand.'
		const instructions = [
			`In the Discord developer portal, open the application ${ctx.config.applicationId}, General Information, and set Interactions Endpoint URL to ${webhookUrl} (Discord sends a signed PING to check it).`,
			command,
			`The command: PUT or POST ${ctx.config.apiBase}/applications/${ctx.config.applicationId}/commands with "Authorization: Bot <token>" and ${JSON.stringify(ASK_COMMAND)}; people then type /ask message:<text>.`,
		].join('\n')
		return { webhookUrl, registered: false, instructions }
	},
}

/** The interaction response body: Discord wants one within 3 s of every interaction. */
function callbackOf(inbound: Inbound, outcome: InboundOutcome): unknown {
	if (outcome.kind === 'dropped')
		return ephemeral(outcome.notice ?? (outcome.reason || 'This was not taken.'))
	if (inbound.type === 'action') return { type: CALLBACK.DEFERRED_UPDATE }
	if (inbound.type !== 'message') return ephemeral('This interaction is not handled here.')
	if (outcome.kind === 'accepted') return { type: CALLBACK.DEFERRED_MESSAGE }
	const text = outcome.output?.trim() || failureText(outcome.error)
	// A longer answer goes out through the outbox: PATCH @original, then follow-ups.
	if (text.length > DISCORD_TEXT_LIMIT) return { type: CALLBACK.DEFERRED_MESSAGE }
	return { type: CALLBACK.MESSAGE, data: { content: text, allowed_mentions: { parse: [] } } }
}

const failureText = (error: { message: string } | null): string =>
	error
		? `The agent could not answer: ${error.message}`.slice(0, DISCORD_TEXT_LIMIT)
		: '(no answer)'

const ephemeral = (content: string) => ({
	type: CALLBACK.MESSAGE,
	data: {
		content: content.slice(0, DISCORD_TEXT_LIMIT),
		flags: EPHEMERAL,
		allowed_mentions: { parse: [] },
	},
})
