// The generic webhook's inbound body, documented in docs/channels.md: a message for the agent or
// an approval decision, from any system that signs per Standard Webhooks; and how long it waits.
import { z } from 'zod'
import { isApprovalId } from '../approval-buttons'
import { PlatformId } from '../config'
import { bodyJson, shapeOf } from '../inbound-body'
import { type Inbound, InboundInvalid, type Peer } from '../plugin'

export const WEBHOOK_TEXT_LIMIT = 32_000
/** Longest a caller may hold the request open for the answer (`?wait=` / `Prefer: wait=`). */
export const MAX_WAIT_S = 30

const Sender = z.object({ id: PlatformId, name: z.string().min(1).max(200).optional() }).strict()
const PeerShape = z.object({ kind: z.enum(['dm', 'group', 'channel']), id: PlatformId }).strict()
const Attachment = z
	.object({
		kind: z.enum(['image', 'audio', 'video', 'file', 'other']),
		name: z.string().max(255).optional(),
		mime: z.string().max(255).optional(),
		url: z.string().url().max(2_048).optional(),
		bytes: z.number().int().nonnegative().optional(),
	})
	.strict()
const Where = { sender: Sender, peer: PeerShape.optional(), thread: PlatformId.optional() }

const MessageBody = z
	.object({
		text: z.string().min(1).max(WEBHOOK_TEXT_LIMIT),
		...Where,
		attachments: z.array(Attachment).max(10).default([]),
	})
	.strict()
const ActionBody = z
	.object({
		action: z
			.object({
				approvalId: z.string().refine(isApprovalId, 'is not an approval id'),
				choice: z.enum(['once', 'always', 'deny']),
			})
			.strict(),
		...Where,
	})
	.strict()

/** Where a reply to a webhook event goes: the callback URL, told which conversation it is. */
export const WebhookTarget = z.object({
	peer: PeerShape,
	thread: PlatformId.optional(),
	sender: Sender,
	eventId: z.string(),
})
export type WebhookTarget = z.infer<typeof WebhookTarget>

/** A signer's id, as the dedupe key carries it: visible ASCII. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/

export function parseWebhook(url: URL, headers: Headers, body: Uint8Array): Inbound {
	const eventId = headers.get('webhook-id') ?? ''
	if (!WEBHOOK_ID.test(eventId))
		throw new InboundInvalid('webhook-id must be 1-256 visible ASCII chars')
	const json = bodyJson(body, 'a webhook event')
	const isAction = typeof json === 'object' && json !== null && 'action' in json
	const parsed = isAction
		? shapeOf(ActionBody, json, 'a webhook action')
		: shapeOf(MessageBody, json, 'a webhook message')
	const peer: Peer = parsed.peer ?? { kind: 'dm', id: parsed.sender.id }
	const reply: WebhookTarget = {
		peer,
		...(parsed.thread && { thread: parsed.thread }),
		sender: parsed.sender,
		eventId,
	}
	const common = {
		eventId,
		dedupeKey: `msg:${eventId}`,
		peer,
		...(parsed.thread && { thread: parsed.thread }),
		sender: parsed.sender,
		reply: { ...reply },
	}
	if ('action' in parsed) return { type: 'action', action: { ...common, ...parsed.action } }
	const waitMs = waitOf(url, headers)
	return {
		type: 'message',
		envelope: { ...common, text: parsed.text, attachments: parsed.attachments, mentioned: true },
		...(waitMs !== undefined && { waitMs }),
	}
}

/**
 * How long the caller waits for the answer: `?wait=<1..30>` (anything else is refused), else
 * `Prefer: wait=<seconds>` (RFC 7240: capped at 30, ignored when unreadable, as a preference is).
 */
export function waitOf(url: URL, headers: Headers): number | undefined {
	const query = url.searchParams.get('wait')
	if (query !== null) {
		const seconds = /^\d{1,2}$/.test(query) ? Number(query) : 0
		if (seconds < 1 || seconds > MAX_WAIT_S)
			throw new InboundInvalid(`wait must be a whole number of seconds from 1 to ${MAX_WAIT_S}`)
		return seconds * 1000
	}
	const prefer = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(headers.get('prefer') ?? '')
	const seconds = prefer ? Number(prefer[1]) : 0
	return seconds >= 1 ? Math.min(seconds, MAX_WAIT_S) * 1000 : undefined
}
