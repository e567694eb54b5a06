// Inbound channel webhooks: `POST /hooks/{tenantId}/{channelId}`. Public — no bearer token; each
// request is authenticated only by its channel's own scheme (a secret token, an HMAC or Ed25519
// signature over the raw body). An unknown channel and a bad signature get the same 401, so the
// endpoint tells nobody which channels exist.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import {
	type Inbound,
	InboundInvalid,
	type InboundOutcome,
	type RawInbound,
} from '../../channels/plugin'
import { type OpenChannel, openChannel, sendNotice } from '../../channels/runtime'
import { cachedChannel } from '../../db/channels'
import { database } from '../../db/client'
import { tenantState } from '../../db/tenants'
import type { Logger } from '../../observability/logger'
import { waitUntil } from '../audit'
import type { GatewayEnv } from '../context'
import { clientIp } from '../middleware/auth'
import { limited, RATE_WINDOW_SECONDS } from '../middleware/rate-limit'
import { createRouter, ProblemSchema } from '../openapi'
import { PROBLEM_CONTENT_TYPE, ProblemError } from '../problem'
import { answerBy } from './deadline'
import { takeInbound } from './inbound'
import { type HookNote, newHookNote, takenOutcome, webhookPoint } from './metrics'

const Id = z.string().min(1).max(128)

const hook = createRoute({
	method: 'post',
	path: '/hooks/{tenantId}/{channelId}',
	tags: ['channels'],
	summary: 'Inbound events of a channel (Telegram, Slack, Discord, signed webhooks)',
	description:
		"Where a platform delivers a channel's events. No bearer token: the request is verified by the channel's own scheme on the raw body (see docs/channels.md). The answer is the platform's own (Telegram `{}`, Slack empty 200, Discord interaction responses, webhooks 202 `{runId}` or 200 with the answer when the caller asked to wait). An unknown channel and a bad signature are the same 401.",
	request: {
		params: z.object({
			tenantId: Id.openapi({ param: { name: 'tenantId', in: 'path' } }),
			channelId: Id.openapi({ param: { name: 'channelId', in: 'path' } }),
		}),
	},
	responses: {
		200: { description: "Taken (the platform's own answer)" },
		202: { description: 'Taken; the run goes on (signed webhooks)' },
		400: {
			description: 'A verified request whose body is not an event (bad_request)',
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
		401: {
			description: 'Unknown channel or bad signature (unauthorized)',
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
		429: {
			description: "The session's queue is full or the tenant's budget is used up; retry later",
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
		503: {
			description: 'The session lane did not answer; the platform retries (lane_unavailable)',
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
	},
})

const refused = () =>
	new ProblemError('unauthorized', 'This request is not signed for a channel of this deployment.')

/**
 * A refused request counts against its client IP (the counter of unauthenticated requests): a
 * prober is slowed to 429s, while valid events from the same platform IPs — shared by every
 * tenant's channels — are never counted there.
 */
async function refusal(c: Context<GatewayEnv>): Promise<ProblemError> {
	const ip = clientIp(c)
	if (ip && c.env.EDGECLAW_RATE_LIMITS !== 'disabled') {
		const { success } = await c.env.RATE_LIMIT_IP.limit({ key: `hook-refused:${ip}` })
		if (!success) {
			blocked.set(ip, Date.now() + RATE_WINDOW_SECONDS * 1000)
			return limited('client IP')
		}
	}
	return refused()
}

/**
 * Client IPs this isolate refused as over the limit, until when: a prober already at 429 is
 * answered before any lookup, so it costs no D1 read and pushes no real channel out of the cache.
 */
const blocked = new Map<string, number>()
const MAX_BLOCKED = 10_000

function stillBlocked(ip: string | undefined, now: number): boolean {
	if (!ip) return false
	const until = blocked.get(ip)
	if (until === undefined) return false
	if (until > now) return true
	blocked.delete(ip)
	return false
}

/** Events of one channel per minute (the per-key counter): one busy bot slows only itself. */
async function limitChannel(
	c: Context<GatewayEnv>,
	tenantId: string,
	channelId: string,
): Promise<void> {
	if (c.env.EDGECLAW_RATE_LIMITS === 'disabled') return
	const { success } = await c.env.RATE_LIMIT_KEY.limit({ key: `channel:${tenantId}/${channelId}` })
	if (!success) throw limited('channel')
}

export const hookRoutes = createRouter().openapi(hook, async (c) => {
	const started = Date.now()
	const note = newHookNote(c.get('trace')?.traceId)
	try {
		const res = await takeHook(c, c.req.valid('param'), note, started)
		c.get('metrics').write(webhookPoint(note, res.status, Date.now() - started))
		return res
	} catch (error) {
		c.get('metrics').write(webhookPoint(note, 500, Date.now() - started, error))
		throw error
	}
})

/** The webhook itself; `note` learns the channel and how the event was taken as it goes. */
async function takeHook(
	c: Context<GatewayEnv>,
	{ tenantId, channelId }: { tenantId: string; channelId: string },
	note: HookNote,
	started: number,
): Promise<Response> {
	if (stillBlocked(clientIp(c), started)) throw limited('client IP')
	if (blocked.size > MAX_BLOCKED) blocked.clear()
	const logger = c.get('logger').child({ channel: channelId })
	const db = database(c.env.DB)
	const body = new Uint8Array(await c.req.arrayBuffer())
	const [row, tenant] = await Promise.all([
		cachedChannel(db, tenantId, channelId),
		tenantState(db, tenantId),
	])
	if (!row?.enabled || tenant?.status !== 'active') {
		logger.info('channel.unknown', { tenant: tenantId, known: row !== null })
		throw await refusal(c)
	}
	Object.assign(note, { tenant: tenantId, channel: channelId, channelKind: row.kind })
	const channel = openChannel(c.env, row)
	if ('error' in channel) {
		logger.error('channel.unusable', { error: channel.error })
		throw await refusal(c)
	}
	const raw: RawInbound = { url: new URL(c.req.url), headers: c.req.raw.headers, body }
	const verified = await channel.plugin.verify(channel.ctx, raw).catch((error: unknown) => {
		// Its secret cannot be read: the operator must fix the channel; the sender sees a 401.
		logger.error('channel.verify_failed', { error })
		return 'unreadable' as const
	})
	if (verified !== true) {
		if (verified === false) logger.warn('channel.bad_signature', { kind: row.kind })
		throw await refusal(c)
	}
	await limitChannel(c, tenantId, channelId)
	let inbound: Inbound
	try {
		inbound = channel.plugin.parse(channel.ctx, raw)
	} catch (error) {
		if (error instanceof InboundInvalid) throw new ProblemError('bad_request', error.message)
		throw error
	}
	if (inbound.type === 'respond') {
		note.outcome = 'handshake'
		return inbound.response
	}
	if (inbound.type === 'ignore') {
		note.outcome = 'ignored'
		logger.debug('channel.ignored', { reason: inbound.reason })
		return channel.plugin.respond(channel.ctx, inbound, { kind: 'dropped', reason: inbound.reason })
	}
	const scope = {
		env: c.env,
		logger,
		requestId: c.get('requestId'),
		trace: c.get('trace'),
		waitUntil: (p: Promise<unknown>) => waitUntil(c, p),
		now: Date.now,
	}
	const taking = takeInbound(scope, channel, inbound)
	// The platform's clock started when it sent the request.
	const deadline = channel.plugin.ackDeadlineMs
	const left = deadline === undefined ? undefined : Math.max(0, deadline - (Date.now() - started))
	const outcome = await answerBy(left, taking, (late) => {
		logger.warn('channel.ack_deadline', { deadlineMs: deadline })
		waitUntil(c, lateNotice(channel, inbound, late, logger))
	})
	note.outcome = takenOutcome(outcome)
	return channel.plugin.respond(channel.ctx, inbound, outcome)
}

/**
 * A taking that finished after the platform was answered: a notice it produced (a pairing code
 * meant for the answer) is sent as a message instead, now that the platform takes messages.
 */
async function lateNotice(
	channel: OpenChannel,
	inbound: Extract<Inbound, { type: 'message' | 'action' }>,
	late: Promise<InboundOutcome>,
	logger: Logger,
): Promise<void> {
	const outcome = await late.catch((error: unknown) => {
		logger.error('channel.take_failed', { error })
		return undefined
	})
	if (outcome?.kind !== 'dropped' || !outcome.notice) return
	const target = inbound.type === 'message' ? inbound.envelope.reply : inbound.action.reply
	await sendNotice(channel, target, outcome.notice, logger)
}
