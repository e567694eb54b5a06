// A session's outbox: the replies its runs sent (or are sending) to channels, one row per message
// of a reply, with attempts, the next try and the last failure. Dead letters of a whole channel are
// listed under the channel (GET /v1/channels/{id}/deliveries).
import { createRoute, z } from '@hono/zod-openapi'
import { DELIVERY_STATUSES, type DeliveryView } from '../../../lanes/types'
import { callLane, openLane } from '../../lane/client'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse } from '../../openapi'
import { AgentQuery, SessionParams } from './schemas'

const DeliverySchema = z
	.object({
		id: z.string(),
		runId: z.string().nullable(),
		channelId: z.string(),
		kind: z.enum(['text', 'approval']),
		part: z.number().int(),
		parts: z.number().int(),
		status: z.enum(DELIVERY_STATUSES),
		attempts: z.number().int(),
		createdAt: z.number(),
		nextAt: z.number(),
		sentAt: z.number().nullable(),
		deadlineAt: z.number(),
		error: z.string().nullable(),
	})
	.openapi('Delivery')

const list = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/deliveries',
	tags: ['sessions'],
	security: bearerAuth,
	summary: "A session's replies to channels (its outbox), newest first",
	request: {
		params: SessionParams,
		query: AgentQuery.extend({
			status: z.enum(DELIVERY_STATUSES).optional(),
			limit: z.coerce.number().int().min(1).max(500).default(100),
		}),
	},
	responses: {
		200: json(z.object({ deliveries: z.array(DeliverySchema) }), 'Deliveries'),
		...authedErrors,
		...notFoundResponse,
	},
})

export const deliveryRoutes = createRouter().openapi(list, async (c) => {
	const { sessionKey } = c.req.valid('param')
	const { agent, status, limit } = c.req.valid('query')
	const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
	const page = (await callLane(c.get('logger'), () => lane.stub.listDeliveries(status, limit))) as {
		deliveries: DeliveryView[]
	}
	return c.json({ deliveries: page.deliveries.map((d) => ({ ...d, error: d.error ?? null })) }, 200)
})
