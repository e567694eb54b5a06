// Calls to the Telegram Bot API (sendMessage, sendChatAction, setWebhook). The bot token is part
// of every method's URL, so no error or result here may carry a URL or an echo of the token.
import { z } from 'zod'
import { APPROVAL_BUTTONS, approvalButtonData, approvalText } from '../approval-buttons'
import { sendResultOf, unreachable } from '../http'
import type { ChannelContext, Outbound, Registration, ReplyTarget, SendResult } from '../plugin'

export interface TelegramApiConfig {
	secrets: { botToken: string; webhookSecret: string }
	apiBase: string
}

type Context = ChannelContext<TelegramApiConfig>

/** The reply target parse writes: the chat, its forum topic, the message to answer. */
const Target = z.looseObject({
	chatId: z.union([z.number(), z.string().min(1)]),
	threadId: z.number().optional(),
	replyTo: z.number().optional(),
})
type Target = z.infer<typeof Target>

/** Telegram's rule for the webhook's secret_token. */
const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/

/** The updates the channel reads; edits are left out so Telegram never sends them. */
export const ALLOWED_UPDATES = ['message', 'channel_post', 'callback_query']

/** POSTs one Bot API method; network errors are rethrown without the token in them. */
async function callBot(
	ctx: Context,
	method: string,
	payload: object,
	signal?: AbortSignal,
): Promise<Response> {
	const token = await ctx.secret('botToken')
	if (token === '') throw new Error('the bot token secret is empty')
	const base = ctx.config.apiBase.replace(/\/+$/, '')
	try {
		return await ctx.fetch(`${base}/bot${token}/${method}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(payload),
			signal,
		})
	} catch (error) {
		throw withoutSecret(error, token)
	}
}

/** The same error with the token masked, its name kept for classification. */
function withoutSecret(error: unknown, token: string): Error {
	const message = error instanceof Error ? error.message : String(error)
	const masked = new Error(withoutToken(message, token))
	masked.name = error instanceof Error ? error.name : 'Error'
	return masked
}

/**
 * `text` with the token (`<bot id>:<secret>`) masked, and its secret half too: an echoed URL
 * may carry the colon percent-encoded. Applied to a whole text before any of it is cut.
 */
function withoutToken(text: string, token: string): string {
	const secretHalf = token.slice(token.indexOf(':') + 1)
	let out = text
	for (const part of [token, secretHalf]) if (part !== '') out = out.split(part).join('<bot token>')
	return out
}

/**
 * A refused Bot API call as a SendResult. A proxy or a self-hosted Bot API server may answer
 * `Cannot POST /bot<token>/…`, so the body is read with the token masked out of it.
 */
async function refusal(ctx: Context, response: Response, what: string): Promise<SendResult> {
	let token: string
	try {
		token = await ctx.secret('botToken')
	} catch (error) {
		await response.body?.cancel()
		return unreachable(what, error)
	}
	return sendResultOf(response, what, (text) => withoutToken(text, token))
}

export async function sendTelegram(ctx: Context, message: Outbound): Promise<SendResult> {
	const parsed = Target.safeParse(message.target)
	if (!parsed.success) {
		return {
			ok: false,
			error: 'telegram sendMessage: the reply target names no chat',
			permanent: true,
		}
	}
	const target = parsed.data
	const payload =
		message.kind === 'text'
			? { ...destination(target, message.part === 1), text: message.text }
			: approvalMessage(target, message.approval)
	if (payload === undefined) {
		return {
			ok: false,
			error: 'telegram sendMessage: the approval id does not fit a button',
			permanent: true,
		}
	}
	let response: Response
	try {
		response = await callBot(ctx, 'sendMessage', payload, message.signal)
	} catch (error) {
		return unreachable('telegram sendMessage', error)
	}
	if (!response.ok) return refusal(ctx, response, 'telegram sendMessage')
	const answer = (await response.json().catch(() => null)) as {
		result?: { message_id?: unknown }
	} | null
	const id = answer?.result?.message_id
	return { ok: true, ...(typeof id === 'number' && { messageId: String(id) }) }
}

/** chat_id and topic; the reply link only on the first part, so a long answer reads as one. */
function destination(target: Target, answering: boolean) {
	return {
		chat_id: target.chatId,
		...(target.threadId !== undefined && { message_thread_id: target.threadId }),
		...(answering &&
			target.replyTo !== undefined && {
				reply_parameters: { message_id: target.replyTo, allow_sending_without_reply: true },
			}),
	}
}

function approvalMessage(
	target: Target,
	approval: { id: string; tool: string; summary: string },
): object | undefined {
	let buttons: { text: string; callback_data: string }[]
	try {
		buttons = APPROVAL_BUTTONS.map(({ choice, label }) => ({
			text: label,
			callback_data: approvalButtonData(approval.id, choice),
		}))
	} catch {
		return undefined
	}
	return {
		...destination(target, true),
		text: approvalText(approval).slice(0, 4096),
		reply_markup: { inline_keyboard: [buttons] },
	}
}

/** "typing…" for about five seconds; best effort, so every failure is swallowed. */
export async function typingTelegram(ctx: Context, target: ReplyTarget): Promise<void> {
	const parsed = Target.safeParse(target)
	if (!parsed.success) return
	try {
		const response = await callBot(ctx, 'sendChatAction', {
			chat_id: parsed.data.chatId,
			action: 'typing',
			...(parsed.data.threadId !== undefined && { message_thread_id: parsed.data.threadId }),
		})
		await response.body?.cancel()
	} catch {}
}

/** setWebhook with the channel's secret token; Telegram's refusal is thrown with its description. */
export async function registerTelegram(ctx: Context, webhookUrl: string): Promise<Registration> {
	// Both secrets first: one that cannot be read is the tenant's to fix, thrown as it is.
	await ctx.secret('botToken')
	const secretToken = await ctx.secret('webhookSecret')
	if (!WEBHOOK_SECRET.test(secretToken)) {
		throw new Error(
			'telegram setWebhook: the webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -',
		)
	}
	let response: Response
	try {
		response = await callBot(ctx, 'setWebhook', {
			url: webhookUrl,
			secret_token: secretToken,
			allowed_updates: ALLOWED_UPDATES,
			drop_pending_updates: false,
		})
	} catch (error) {
		throw new Error(`telegram setWebhook: ${error instanceof Error ? error.message : error}`)
	}
	const answer = (await response.json().catch(() => null)) as {
		ok?: unknown
		description?: unknown
	} | null
	if (!response.ok || answer?.ok !== true) {
		const why =
			typeof answer?.description === 'string' ? answer.description : `HTTP ${response.status}`
		const token = await ctx.secret('botToken')
		throw new Error(`telegram setWebhook: ${withoutToken(why, token).slice(0, 300)}`)
	}
	return { webhookUrl, registered: true }
}
