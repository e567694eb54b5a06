// A verified Discord interaction as an Inbound: PING answers itself, a slash command is a
// message for the agent, an approval button press is an action; anything else is ignored.
import { z } from 'zod'
import { approvalOfButton } from '../approval-buttons'
import { bodyJson, shapeOf } from '../inbound-body'
import { type Inbound, InboundInvalid, type Peer, type Sender } from '../plugin'

/** Interaction types (Discord's `InteractionType`). */
export const INTERACTION = { PING: 1, COMMAND: 2, COMPONENT: 3, AUTOCOMPLETE: 4 } as const
/** Interaction callback types (Discord's `InteractionCallbackType`). */
export const CALLBACK = {
	PONG: 1,
	MESSAGE: 4,
	DEFERRED_MESSAGE: 5,
	DEFERRED_UPDATE: 6,
	AUTOCOMPLETE_RESULT: 8,
} as const
/** Message flag: only the person who used the command sees the message. */
export const EPHEMERAL = 64

/** Option names whose value is the text for the agent, in order of preference. */
const TEXT_OPTIONS = ['message', 'prompt', 'text', 'question']
const STRING_OPTION = 3

const Snowflake = z.string().regex(/^\d{1,20}$/, 'is not a snowflake')
const User = z.object({
	id: Snowflake,
	username: z.string().max(100),
	global_name: z.string().max(100).nullish(),
})
/** Options nest at most three deep: a subcommand group, its subcommand, the subcommand's options. */
const OptionLeaf = z.object({
	type: z.number().int(),
	name: z.string().max(100),
	value: z.unknown().optional(),
})
const optionsOf = <T extends z.ZodType>(inner: T) =>
	OptionLeaf.extend({ options: z.array(inner).max(25).optional() })
const CommandOption = optionsOf(optionsOf(OptionLeaf))
interface CommandOption {
	type: number
	name: string
	value?: unknown
	options?: CommandOption[]
}
const Interaction = z.object({
	id: Snowflake,
	type: z.number().int(),
	token: z.string().max(1_000).optional(),
	guild_id: Snowflake.optional(),
	channel_id: Snowflake.optional(),
	member: z.object({ user: User }).optional(),
	user: User.optional(),
	data: z
		.object({
			name: z.string().max(100).optional(),
			/** 1 CHAT_INPUT (slash command); 2 and 3 are context-menu commands. */
			type: z.number().int().optional(),
			options: z.array(CommandOption).max(25).optional(),
			custom_id: z.string().max(100).optional(),
		})
		.optional(),
})
type Interaction = z.infer<typeof Interaction>

/** Where the plugin answers an interaction: its webhook (token valid 15 minutes) and channel. */
export interface InteractionTarget {
	applicationId: string
	token: string
	channelId?: string
	/**
	 * A button press: its `@original` is the message the button is on (the approval prompt), so
	 * every reply to it is a follow-up, never an edit.
	 */
	component?: boolean
}

export function parseInteraction(body: Uint8Array, applicationId: string): Inbound {
	const interaction = shapeOf(
		Interaction,
		bodyJson(body, 'a Discord interaction'),
		'a Discord interaction',
	)
	switch (interaction.type) {
		case INTERACTION.PING:
			return { type: 'respond', response: Response.json({ type: CALLBACK.PONG }) }
		case INTERACTION.AUTOCOMPLETE:
			return {
				type: 'respond',
				response: Response.json({ type: CALLBACK.AUTOCOMPLETE_RESULT, data: { choices: [] } }),
			}
		case INTERACTION.COMMAND:
			return commandOf(interaction, applicationId)
		case INTERACTION.COMPONENT:
			return componentOf(interaction, applicationId)
		default:
			return { type: 'ignore', reason: `interaction type ${interaction.type} is not handled` }
	}
}

function commandOf(interaction: Interaction, applicationId: string): Inbound {
	const data = interaction.data
	if (data?.type !== undefined && data.type !== 1)
		return { type: 'ignore', reason: 'context-menu commands are not handled' }
	const common = commonOf(interaction, applicationId, false)
	return {
		type: 'message',
		envelope: {
			...common,
			text: commandText(data?.name ?? '', data?.options ?? []),
			attachments: [],
			mentioned: true,
		},
	}
}

function componentOf(interaction: Interaction, applicationId: string): Inbound {
	const pressed = approvalOfButton(interaction.data?.custom_id)
	if (!pressed) return { type: 'ignore', reason: 'not an approval button' }
	return { type: 'action', action: { ...commonOf(interaction, applicationId, true), ...pressed } }
}

/** What a command and a button press share: ids, who, where and the reply target. */
function commonOf(interaction: Interaction, applicationId: string, component: boolean) {
	const user = interaction.member?.user ?? interaction.user
	if (!user) throw invalid('it names no user')
	if (!interaction.token) throw invalid('it carries no token')
	const sender: Sender = { id: user.id, name: user.global_name || user.username }
	let peer: Peer
	if (interaction.guild_id !== undefined) {
		if (!interaction.channel_id) throw invalid('a server interaction names no channel')
		peer = { kind: 'channel', id: interaction.channel_id }
	} else peer = { kind: 'dm', id: user.id }
	const reply: InteractionTarget = {
		applicationId,
		token: interaction.token,
		...(interaction.channel_id && { channelId: interaction.channel_id }),
		...(component && { component }),
	}
	return {
		eventId: interaction.id,
		dedupeKey: `interaction:${interaction.id}`,
		peer,
		sender,
		...(interaction.guild_id && { space: interaction.guild_id }),
		reply: { ...reply },
	}
}

/**
 * The agent's text: the string option named like a message (`/ask message:<text>`), else the
 * first string option (subcommands included); a command without one is `/<name>`.
 */
function commandText(name: string, options: CommandOption[]): string {
	const strings = stringOptions(options)
	const preferred = TEXT_OPTIONS.map((n) => strings.find((o) => o.name === n)).find(Boolean)
	const chosen = preferred ?? strings[0]
	return chosen ? String(chosen.value) : `/${name}`
}

function stringOptions(options: CommandOption[]): CommandOption[] {
	return options.flatMap((o) =>
		o.type === STRING_OPTION && typeof o.value === 'string' ? [o] : stringOptions(o.options ?? []),
	)
}

const invalid = (why: string) => new InboundInvalid(`not a usable Discord interaction: ${why}`)
