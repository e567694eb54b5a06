// A channel's config: what every channel shares (who may talk, routing, groups) and the pieces
// plugins build their own part from (secret names, API base URLs). Credentials are never in a
// config: `secrets` names tenant secrets (PUT /v1/secrets/{name}), resolved when used.
import { z } from 'zod'
import { Slug } from '../agents/config'
import { QUEUE_MODES } from '../lanes/types'
import { isReservedName, RESERVED_PREFIX, SECRET_NAME_PATTERN } from '../security/secrets'

/** A tenant secret's NAME, as a channel config writes it. */
export const SecretRef = z
	.string()
	.regex(SECRET_NAME_PATTERN, 'must name a tenant secret: 1-128 chars of A-Z, 0-9 and "_"')
	.refine((name) => !isReservedName(name), `names starting with ${RESERVED_PREFIX} are reserved`)

/** An https URL the tenant chooses (API base, callback); the SSRF guard checks it on save. */
export const ChannelUrl = z.string().url().max(2_048)

/** Ids of peers, senders, groups and spaces as routing and allowlists name them. */
export const PlatformId = z
	.string()
	.regex(/^[A-Za-z0-9._@+=-]{1,128}$/, 'must be 1-128 chars of A-Z, a-z, 0-9 and ._@+=-')

/** Routes a peer, a group or a whole workspace/server to another agent than the channel's. */
export const Binding = z
	.object({
		peer: z
			.object({ kind: z.enum(['dm', 'group', 'channel']), id: PlatformId })
			.strict()
			.optional(),
		/** A Slack team or Discord guild. */
		space: PlatformId.optional(),
		agent: Slug,
	})
	.strict()
	.refine((b) => b.peer !== undefined || b.space !== undefined, 'a binding needs a peer or a space')

export const DM_POLICIES = ['pairing', 'allowlist', 'open', 'disabled'] as const
export const GROUP_POLICIES = ['allowlist', 'open', 'disabled'] as const

/** The fields every channel has, beside its plugin's own. */
export const ChannelCommon = z.object({
	/** Who may talk in direct messages: unknown senders get a pairing code by default. */
	dmPolicy: z.enum(DM_POLICIES).default('pairing'),
	/** Senders allowed beside those approved through pairing. */
	allowFrom: z.array(PlatformId).max(1_000).default([]),
	/** Which groups and channels the bot answers in: those in `groups` by default. */
	groupPolicy: z.enum(GROUP_POLICIES).default('allowlist'),
	groups: z.array(PlatformId).max(1_000).default([]),
	/** In groups, answer only when mentioned (or when the text starts with `mentionPrefix`). */
	requireMention: z.boolean().default(true),
	mentionPrefix: z.string().min(1).max(32).optional(),
	/** `per-peer`: one session per DM sender; `main`: every DM of the channel shares one. */
	dmScope: z.enum(['per-peer', 'main']).default('per-peer'),
	/** How a message enters its session lane (see the sessions API). */
	queueMode: z.enum(QUEUE_MODES).default('followup'),
	bindings: z.array(Binding).max(200).default([]),
})

export type ChannelCommon = z.infer<typeof ChannelCommon>
