// The channel seam: what one chat platform (or signed-webhook system) provides, as a plugin. A plugin
// owns its config schema, verifying and normalising inbound requests, its text limits and
// chunking, and sending; the core (src/channels/*.ts) owns routing, pairing, dedupe, the outbox,
// policy and audit. Adding a channel is one folder and one line in registry.ts.
import type { z } from 'zod'

export type PeerKind = 'dm' | 'group' | 'channel'

/** The conversation a message belongs to, in the platform's ids. */
export interface Peer {
	kind: PeerKind
	id: string
}

export interface Sender {
	id: string
	name?: string
}

export interface Attachment {
	kind: 'image' | 'audio' | 'video' | 'file' | 'other'
	/** The platform's id of the file (Telegram file_id, Slack file id). */
	id?: string
	name?: string
	mime?: string
	url?: string
	bytes?: number
}

/**
 * Where and how a reply to one inbound event is sent: platform-specific plain JSON (chat id,
 * thread, message to answer, interaction token …), stored with the run it starts.
 */
export type ReplyTarget = Record<string, unknown>

/** One inbound message, the same shape for every channel. */
export interface Envelope {
	/** The platform's id of the event (Telegram update_id, Slack event_id, …). */
	eventId: string
	/** What makes a platform retry the same event; the lane's idempotency key is built from it. */
	dedupeKey: string
	peer: Peer
	/** Thread within the peer (Slack thread_ts, Telegram topic), when there is one. */
	thread?: string
	sender: Sender
	text: string
	attachments: Attachment[]
	/** The bot was addressed: a mention, a reply to the bot, a slash command, any DM. */
	mentioned: boolean
	/** Workspace or server the peer belongs to (Slack team, Discord guild), for bindings. */
	space?: string
	reply: ReplyTarget
}

export type ApprovalChoice = 'once' | 'always' | 'deny'

/** A person pressed an approval button (or typed its text command). */
export interface ApprovalAction {
	eventId: string
	dedupeKey: string
	peer: Peer
	thread?: string
	sender: Sender
	space?: string
	approvalId: string
	choice: ApprovalChoice
	reply: ReplyTarget
}

/** What a verified inbound request is. */
export type Inbound =
	| {
			type: 'message'
			envelope: Envelope
			/** The caller asked to wait up to this long for the answer in the response (webhooks). */
			waitMs?: number
	  }
	| { type: 'action'; action: ApprovalAction }
	/** Answered by the plugin alone (Slack url_verification, Discord PING). */
	| { type: 'respond'; response: Response }
	/** Nothing to do (the bot's own message, an edit, an event the channel does not handle). */
	| { type: 'ignore'; reason: string }

/** How the core took an inbound event, for the plugin's answer to the platform. */
export type InboundOutcome =
	/** Taken; `runId` is null when the platform's deadline came first and the taking goes on. */
	| { kind: 'accepted'; runId: string | null; duplicate: boolean }
	| {
			kind: 'answered'
			runId: string
			status: string
			output: string | null
			error: { code: string; message: string } | null
	  }
	/**
	 * Not for the agent: pairing, not mentioned, not allowed. `notice` is what the sender should
	 * read (their pairing code), for plugins that answer in the response (`noticeInResponse`).
	 */
	| { kind: 'dropped'; reason: string; notice?: string }

/** The raw inbound request: verification works on exactly these bytes. */
export interface RawInbound {
	url: URL
	headers: Headers
	body: Uint8Array
}

/**
 * One message to send to a platform; `id` stays the same across retries of one delivery. `signal`
 * aborts when the lane stops waiting for the send: a plugin passes it to `ctx.fetch`.
 */
export type Outbound =
	| {
			kind: 'text'
			id?: string
			text: string
			part: number
			parts: number
			target: ReplyTarget
			signal?: AbortSignal
	  }
	| {
			kind: 'approval'
			id?: string
			approval: { id: string; tool: string; summary: string }
			target: ReplyTarget
			signal?: AbortSignal
	  }

export type SendResult =
	| { ok: true; messageId?: string }
	| {
			ok: false
			error: string
			/** The platform asked to wait this long (429 retry_after / Retry-After). */
			retryAfterMs?: number
			/** Sending again cannot succeed (bad token, unknown chat, 4xx). */
			permanent?: boolean
	  }

/** What the core hands a plugin for one channel. */
export interface ChannelContext<C> {
	tenantId: string
	channelId: string
	config: C
	/** The value of a secret the config names under `secrets.<key>`; throws when it cannot be read. */
	secret(key: string): Promise<string>
	/** fetch behind the SSRF guard (the channel's API base is a URL the tenant chose). */
	fetch: typeof fetch
	now(): number
}

/** Where the platform should send events, for `register`. */
export interface Registration {
	webhookUrl: string
	/** The platform side was set up through its API (Telegram setWebhook). */
	registered: boolean
	/** What the operator does by hand where there is no API for it. */
	instructions?: string
}

export interface ChannelPlugin<C extends ChannelPluginConfig = ChannelPluginConfig> {
	kind: string
	title: string
	/**
	 * The plugin's own config fields (strict). `secrets` maps this plugin's credential slots to
	 * tenant secret NAMES; `apiBase` (when the platform has an API) defaults to the public one.
	 */
	config: z.ZodType<C>
	/**
	 * The platform gives up on the webhook's answer after this long and never retries (Discord's
	 * 3 s): the core answers `accepted` by then and goes on taking the event in the background.
	 * Absent: the core answers when the lane has the event (the platform retries a late answer).
	 */
	ackDeadlineMs?: number
	/**
	 * Notices outside a run (a pairing code) go in the webhook's answer, not through `send`: the
	 * platform cannot take a message before the answer (Discord's interaction webhooks).
	 */
	noticeInResponse?: boolean
	/** Longest text one message may carry on this platform (characters). */
	textLimit: number
	/** Splits a reply into messages of at most `textLimit` characters, in order. */
	chunk(text: string): string[]
	/** URLs the config chooses (API base, callback URL): checked by the SSRF guard on save. */
	urls(config: C): string[]
	/** True when the request carries this channel's valid signature or token. */
	verify(ctx: ChannelContext<C>, req: RawInbound): Promise<boolean>
	/** A verified request as an Inbound; throws InboundInvalid for a body it cannot read. */
	parse(ctx: ChannelContext<C>, req: RawInbound): Inbound
	/** The answer the platform gets once the core has taken the event (within its deadline). */
	respond(ctx: ChannelContext<C>, inbound: Inbound, outcome: InboundOutcome): Response
	send(ctx: ChannelContext<C>, message: Outbound): Promise<SendResult>
	/** Shows "typing…" in the conversation, where the platform has it; best effort. */
	typing?(ctx: ChannelContext<C>, target: ReplyTarget): Promise<void>
	/** Sets up the platform side (where an API exists) for events to reach `webhookUrl`. */
	register(ctx: ChannelContext<C>, webhookUrl: string): Promise<Registration>
}

/** Every plugin config has a `secrets` map (slot → tenant secret name). */
export interface ChannelPluginConfig {
	secrets: Record<string, string>
}

/** A verified request whose body the plugin cannot read: 400, never retried into a run. */
export class InboundInvalid extends Error {
	override readonly name = 'InboundInvalid'
}
