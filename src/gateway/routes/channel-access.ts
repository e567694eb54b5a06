// Who may talk through a channel, and what it failed to deliver: pending pairing codes and their
// approval, the senders pairing admitted (removable), and the outbox's dead letters.
import { createRoute, z } from '@hono/zod-openapi'
import { PAIRING_CODE } from '../../channels/pairing'
import { openChannel, sendNotice } from '../../channels/runtime'
import {
	approvePairing,
	listDeadLetters,
	listPaired,
	pendingPairings,
	removePaired,
} from '../../db/channels'
import { database } from '../../db/client'
import { actorOf } from '../../security/subject'
import { audit, waitUntil } from '../audit'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse } from '../openapi'
import { ProblemError } from '../problem'
import { ChannelParams, channelOr404 } from './channels'

const tag = { tags: ['channels'], security: bearerAuth }

const Pending = z
	.object({
		code: z.string(),
		senderId: z.string(),
		senderName: z.string().nullable(),
		createdAt: z.string(),
		expiresAt: z.string(),
	})
	.openapi('PairingRequest')

const Admitted = z
	.object({
		senderId: z.string(),
		name: z.string().nullable(),
		addedBy: z.string(),
		createdAt: z.string(),
	})
	.openapi('AdmittedSender')

const DeadLetter = z
	.object({
		deliveryId: z.string(),
		agent: z.string(),
		sessionKey: z.string(),
		runId: z.string().nullable(),
		kind: z.string(),
		part: z.number().int(),
		parts: z.number().int(),
		attempts: z.number().int(),
		error: z.string(),
		failedAt: z.string(),
		status: z.literal('failed'),
	})
	.openapi('FailedDelivery')

const pairing = createRoute({
	...tag,
	method: 'get',
	path: '/v1/channels/{channelId}/pairing',
	summary: 'Pending pairing codes, and the senders pairing admitted',
	request: { params: ChannelParams },
	responses: {
		200: json(
			z.object({ pending: z.array(Pending), admitted: z.array(Admitted) }),
			'Pairing state',
		),
		...authedErrors,
		...notFoundResponse,
	},
})

const approve = createRoute({
	...tag,
	method: 'post',
	path: '/v1/channels/{channelId}/pairing/{code}/approve',
	summary: "Approve a pairing code: its sender joins the channel's admitted senders",
	request: {
		params: ChannelParams.extend({
			code: z
				.string()
				.regex(PAIRING_CODE, 'must be an 8-character pairing code')
				.openapi({ param: { name: 'code', in: 'path' } }),
		}),
	},
	responses: { 200: json(Admitted, 'Admitted'), ...authedErrors, ...notFoundResponse },
})

const revoke = createRoute({
	...tag,
	method: 'delete',
	path: '/v1/channels/{channelId}/allowlist/{senderId}',
	summary: 'Remove a sender pairing admitted (senders in the config’s allowFrom are changed there)',
	request: {
		params: ChannelParams.extend({
			senderId: z
				.string()
				.min(1)
				.max(128)
				.openapi({ param: { name: 'senderId', in: 'path' } }),
		}),
	},
	responses: { 204: { description: 'Removed' }, ...authedErrors, ...notFoundResponse },
})

const deliveries = createRoute({
	...tag,
	method: 'get',
	path: '/v1/channels/{channelId}/deliveries',
	summary: 'Replies the channel could not deliver (dead letters), newest first',
	description:
		'Every reply goes out from its session lane’s outbox, with retries until a deadline; what gave up is listed here (`status=failed`). Deliveries still pending or sent are in each session: GET /v1/sessions/{sessionKey}/deliveries.',
	request: {
		params: ChannelParams,
		query: z.object({
			status: z.enum(['failed']).default('failed'),
			limit: z.coerce.number().int().min(1).max(500).default(100),
		}),
	},
	responses: {
		200: json(z.object({ deliveries: z.array(DeadLetter) }), 'Dead letters'),
		...authedErrors,
		...notFoundResponse,
	},
})

export const channelAccessRoutes = createRouter()
	.openapi(pairing, async (c) => {
		const row = await channelOr404(c, c.req.valid('param').channelId)
		const db = database(c.env.DB)
		const [pending, admitted] = await Promise.all([
			pendingPairings(db, row.tenantId, row.id, Date.now()),
			listPaired(db, row.tenantId, row.id),
		])
		return c.json(
			{
				pending: pending.map((p) => ({
					code: p.code,
					senderId: p.senderId,
					senderName: p.senderName,
					createdAt: p.createdAt.toISOString(),
					expiresAt: p.expiresAt.toISOString(),
				})),
				admitted: admitted.map((a) => ({
					senderId: a.senderId,
					name: a.name,
					addedBy: a.addedBy,
					createdAt: a.createdAt.toISOString(),
				})),
			},
			200,
		)
	})
	.openapi(approve, async (c) => {
		const { channelId, code } = c.req.valid('param')
		const row = await channelOr404(c, channelId)
		const by = actorOf(c.get('principal'))
		const approved = await approvePairing(
			database(c.env.DB),
			row.tenantId,
			row.id,
			code,
			by,
			Date.now(),
		)
		if (!approved)
			throw new ProblemError(
				'not_found',
				`No pending pairing code ${code} on channel "${channelId}".`,
			)
		await audit(c, {
			action: 'channel.pairing_approved',
			target: `channel:${channelId}`,
			outcome: 'success',
			data: { sender: approved.senderId, code },
		})
		// Tell the sender they are in (best effort: they find out on their next message anyway).
		const channel = openChannel(c.env, row)
		// Not where the platform takes messages only as answers (Discord: the code's interaction is
		// long gone).
		if (!('error' in channel) && !channel.plugin.noticeInResponse) {
			const text = 'You are approved: send your message again and the assistant will answer.'
			const target = approved.replyTo as Record<string, unknown>
			waitUntil(c, sendNotice(channel, target, text, c.get('logger')))
		}
		return c.json(
			{
				senderId: approved.senderId,
				name: approved.senderName,
				addedBy: by,
				createdAt: new Date().toISOString(),
			},
			200,
		)
	})
	.openapi(revoke, async (c) => {
		const { channelId, senderId } = c.req.valid('param')
		const row = await channelOr404(c, channelId)
		if (!(await removePaired(database(c.env.DB), row.tenantId, row.id, senderId))) {
			throw new ProblemError(
				'not_found',
				`Sender "${senderId}" was not admitted by pairing on channel "${channelId}".`,
			)
		}
		await audit(c, {
			action: 'channel.sender_removed',
			target: `channel:${channelId}`,
			outcome: 'success',
			data: { sender: senderId },
		})
		return c.body(null, 204)
	})
	.openapi(deliveries, async (c) => {
		const row = await channelOr404(c, c.req.valid('param').channelId)
		const { limit } = c.req.valid('query')
		const rows = await listDeadLetters(database(c.env.DB), row.tenantId, row.id, limit)
		return c.json(
			{
				deliveries: rows.map((d) => ({
					deliveryId: d.deliveryId,
					agent: d.agentId,
					sessionKey: d.sessionKey,
					runId: d.runId,
					kind: d.kind,
					part: d.part,
					parts: d.parts,
					attempts: d.attempts,
					error: d.error,
					failedAt: d.failedAt.toISOString(),
					status: 'failed' as const,
				})),
			},
			200,
		)
	})
