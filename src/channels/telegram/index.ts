// The Telegram channel: a bot's webhook (authenticated by the secret token Telegram echoes in a
// header), its updates as envelopes, replies and approval buttons through the Bot API.
import { z } from 'zod'
import { secretsEqual } from '../../security/tokens'
import { APPROVAL_TAKEN } from '../approval-buttons'
import { chunkText } from '../chunk'
import { ChannelUrl, SecretRef } from '../config'
import type { ApprovalChoice, ChannelPlugin, InboundOutcome } from '../plugin'
import { registerTelegram, sendTelegram, typingTelegram } from './api'
import { parseUpdate } from './parse'

export const TelegramConfig = z
	.object({
		secrets: z.object({ botToken: SecretRef, webhookSecret: SecretRef }).strict(),
		/** A self-hosted Bot API server (or a fake one in tests) instead of Telegram's. */
		apiBase: ChannelUrl.default('https://api.telegram.org'),
		/** The bot's @username: how group messages address it (`@bot`, `/cmd@bot`, a reply to it). */
		botUsername: z
			.string()
			.regex(/^@?[A-Za-z0-9_]{3,64}$/, 'must be a Telegram username')
			.optional(),
	})
	.strict()

export type TelegramConfig = z.infer<typeof TelegramConfig>

const TEXT_LIMIT = 4096
const SECRET_HEADER = 'x-telegram-bot-api-secret-token'

export const telegram: ChannelPlugin<TelegramConfig> = {
	kind: 'telegram',
	title: 'Telegram',
	config: TelegramConfig,
	textLimit: TEXT_LIMIT,
	chunk: (text) => chunkText(text, TEXT_LIMIT),
	urls: (config) => [config.apiBase],

	async verify(ctx, req) {
		const presented = req.headers.get(SECRET_HEADER)
		if (presented === null) return false
		return secretsEqual(presented, await ctx.secret('webhookSecret'))
	},

	parse: (ctx, req) => parseUpdate(req.body, ctx.config.botUsername),

	respond(_ctx, inbound, outcome) {
		if (inbound.type === 'respond') return inbound.response
		// A webhook answer may itself be a Bot API call: this one stops the pressed button's spinner.
		const queryId = inbound.type === 'action' ? inbound.action.reply.callbackQueryId : undefined
		if (inbound.type === 'action' && typeof queryId === 'string') {
			return Response.json({
				method: 'answerCallbackQuery',
				callback_query_id: queryId,
				text: pressAnswer(inbound.action.choice, outcome),
			})
		}
		return Response.json({})
	},

	send: sendTelegram,
	typing: typingTelegram,
	register: registerTelegram,
}

function pressAnswer(choice: ApprovalChoice, outcome: InboundOutcome): string {
	if (outcome.kind === 'dropped') return `Not taken: ${outcome.reason}`.slice(0, 200)
	return APPROVAL_TAKEN[choice]
}
