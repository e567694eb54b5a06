// The channels' side of a session lane's outbox: the lane stores each reply as deliveries and
// calls this sink to split and send them; the sink finds the channel (it may have been changed,
// disabled or deleted since the message came in) and hands the message to its plugin. A plugin
// that throws fails only its own delivery, which the lane retries.

import { cachedChannel, recordDeadLetter } from '../db/channels'
import { database } from '../db/client'
import type { DeliveryResult, OutboundDelivery, ReplySink } from '../lanes/host'
import type { ReplyRoute } from '../lanes/types'
import type { Logger } from '../observability/logger'
import { chunkText } from './chunk'
import type { Outbound } from './plugin'
import { pluginOf } from './registry'
import { type ChannelEnv, type OpenChannel, openChannel } from './runtime'

/** The sink of one lane, whose session belongs to `tenantId`. */
export function channelReplies(env: ChannelEnv, tenantId: string, logger: Logger): ReplySink {
	const db = database(env.DB)
	const open = async (route: ReplyRoute): Promise<OpenChannel | { error: string }> => {
		const row = await cachedChannel(db, tenantId, route.channelId)
		if (!row) return { error: `channel ${route.channelId} was deleted` }
		if (!row.enabled) return { error: `channel ${route.channelId} is disabled` }
		if (row.kind !== route.kind)
			return { error: `channel ${route.channelId} is no longer ${route.kind}` }
		return openChannel(env, row)
	}
	return {
		chunk(route, text) {
			const plugin = pluginOf(route.kind)
			return plugin ? plugin.chunk(text) : chunkText(text, 2_000)
		},
		async send(delivery): Promise<DeliveryResult> {
			const channel = await open(delivery.route)
			if ('error' in channel) return { ok: false, error: channel.error, permanent: true }
			try {
				return await channel.plugin.send(channel.ctx, outboundOf(delivery))
			} catch (error) {
				// A secret that cannot be read yet, a plugin bug: worth another try until the deadline.
				const message = error instanceof Error ? error.message : String(error)
				return { ok: false, error: `${delivery.route.kind}: ${message}`.slice(0, 300) }
			}
		},
		async typing(route) {
			const channel = await open(route)
			if ('error' in channel || !channel.plugin.typing) return
			await channel.plugin.typing(channel.ctx, route.target)
		},
		async failed(delivery, error) {
			try {
				await recordDeadLetter(db, {
					tenantId,
					channelId: delivery.route.channelId,
					deliveryId: delivery.id,
					agentId: delivery.session.agentId,
					sessionKey: delivery.session.sessionKey,
					runId: delivery.runId,
					kind: delivery.kind,
					part: delivery.part,
					parts: delivery.parts,
					attempts: delivery.attempt,
					error: error.slice(0, 1_000),
					failedAt: new Date(),
				})
			} catch (cause) {
				// The channel itself is gone (its rows cascade away): nothing to record against.
				// Anything else (D1 unavailable) rejects, and the lane tries again later.
				if ((await cachedChannel(db, tenantId, delivery.route.channelId)) !== null) throw cause
				logger.warn('channel.dead_letter_unrecorded', {
					channel: delivery.route.channelId,
					error: cause,
				})
			}
		},
	}
}

function outboundOf(d: OutboundDelivery): Outbound {
	if (d.kind === 'approval' && d.approval) {
		const { id, approval, signal, route } = d
		return { kind: 'approval', id, approval, target: route.target, signal }
	}
	return {
		kind: 'text',
		id: d.id,
		text: d.text ?? '',
		part: d.part,
		parts: d.parts,
		target: d.route.target,
		signal: d.signal,
	}
}
