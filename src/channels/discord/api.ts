// Discord's side of a reply: the interaction's own webhook (no bot token needed) carries the
// answer, edited into the deferred "thinking…" message, then follow-ups; and the `/ask` command.
import { z } from 'zod'
import { APPROVAL_BUTTONS, approvalButtonData, isApprovalId } from '../approval-buttons'
import { sendResultOf, unreachable } from '../http'
import type { ApprovalChoice, ChannelContext, Outbound, SendResult } from '../plugin'
import type { InteractionTarget } from './interaction'

export interface DiscordApiConfig {
	applicationId: string
	apiBase: string
	secrets: { botToken?: string }
}

export const DISCORD_TEXT_LIMIT = 2_000

/** The agent's text never pings anyone: no @everyone, no roles, no users. */
const NO_MENTIONS = { parse: [] as string[] }

const ACTION_ROW = 1
const BUTTON = 2
/** Discord's button styles (primary 1, success 3, danger 4), one per choice. */
const STYLE: Record<ApprovalChoice, number> = { once: 3, always: 1, deny: 4 }

const apiBaseOf = (config: DiscordApiConfig): string => config.apiBase.replace(/\/+$/, '')

const Target = z.object({
	applicationId: z.string().regex(/^\d{1,20}$/),
	token: z.string().min(1).max(1_000),
	channelId: z.string().optional(),
	component: z.boolean().optional(),
})

/** Sends one message of a reply or an approval prompt through the interaction's webhook. */
export async function sendToInteraction(
	ctx: ChannelContext<DiscordApiConfig>,
	message: Outbound,
): Promise<SendResult> {
	const parsed = Target.safeParse(message.target)
	if (!parsed.success)
		return { ok: false, error: 'the reply target is not a Discord interaction', permanent: true }
	const target: InteractionTarget = parsed.data
	const webhook = `${apiBaseOf(ctx.config)}/webhooks/${target.applicationId}/${encodeURIComponent(target.token)}`
	if (message.kind === 'text') {
		// The deferred response made a "thinking…" message: the first part replaces it.
		const edit = message.part === 1 && !target.component
		return call(
			ctx,
			edit ? 'PATCH' : 'POST',
			edit ? `${webhook}/messages/@original` : webhook,
			{ content: message.text, allowed_mentions: NO_MENTIONS },
			edit ? 'edit the interaction response' : 'send a follow-up',
			message.signal,
		)
	}
	const { id, tool, summary } = message.approval
	if (!isApprovalId(id))
		return { ok: false, error: 'the approval id does not fit a Discord button', permanent: true }
	const content = `Approval needed: \`${tool}\`\n${summary}`.slice(0, DISCORD_TEXT_LIMIT)
	const components = [
		{
			type: ACTION_ROW,
			components: APPROVAL_BUTTONS.map(({ choice, label }) => ({
				type: BUTTON,
				style: STYLE[choice],
				label,
				custom_id: approvalButtonData(id, choice),
			})),
		},
	]
	return call(
		ctx,
		'POST',
		webhook,
		{ content, components, allowed_mentions: NO_MENTIONS },
		'send an approval prompt',
		message.signal,
	)
}

async function call(
	ctx: ChannelContext<DiscordApiConfig>,
	method: 'PATCH' | 'POST',
	url: string,
	body: unknown,
	what: string,
	signal?: AbortSignal,
): Promise<SendResult> {
	let response: Response
	try {
		response = await ctx.fetch(url, {
			method,
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
			signal,
		})
	} catch (error) {
		return unreachable(`discord: ${what}`, error)
	}
	// 404 Unknown Webhook: the interaction token (15 minutes) expired; sendResultOf makes it permanent.
	if (!response.ok) return sendResultOf(response, `discord: ${what}`)
	const sent = (await response.json().catch(() => null)) as { id?: unknown } | null
	return typeof sent?.id === 'string' ? { ok: true, messageId: sent.id } : { ok: true }
}

/** The slash command people talk to the agent with: `/ask message:<text>`. */
export const ASK_COMMAND = {
	name: 'ask',
	type: 1,
	description: 'Ask the agent',
	options: [{ type: 3, name: 'message', description: 'What to ask', required: true }],
}

/**
 * Creates (or overwrites, by name) the global `/ask` command with the bot token; what happened,
 * as a sentence for the operator. Never throws: a failure is reported, not raised.
 */
export async function registerAskCommand(ctx: ChannelContext<DiscordApiConfig>): Promise<string> {
	const url = `${apiBaseOf(ctx.config)}/applications/${ctx.config.applicationId}/commands`
	try {
		const token = await ctx.secret('botToken')
		const response = await ctx.fetch(url, {
			method: 'POST',
			headers: { authorization: `Bot ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify(ASK_COMMAND),
		})
		const result = await sendResultOf(response, 'create the /ask command')
		if (result.ok)
			return 'The /ask command was registered through the Discord API with the bot token.'
		return `Registering the /ask command failed (${result.error}); create it by hand as below.`
	} catch (error) {
		const reason = error instanceof Error ? error.message : String(error)
		return `Registering the /ask command failed (${reason.slice(0, 200)}); create it by hand as below.`
	}
}
