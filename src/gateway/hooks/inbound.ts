// What happens to one verified channel event: an approval pressed, a message admitted into its
// session lane (or held for pairing, or dropped by the channel's rules). The webhook answers only
// after the lane has durably taken the message, and never waits for the run (except for a signed
// webhook caller that asked to): the platform's deadline is seconds, a run may take minutes.

import { pairingText, requestPairing } from '../../channels/pairing'
import type { ApprovalAction, Envelope, Inbound, InboundOutcome } from '../../channels/plugin'
import { admissionOf, approvalCommand, mayApprove, routeOf } from '../../channels/routing'
import { type OpenChannel, sendNotice } from '../../channels/runtime'
import { isPaired } from '../../db/channels'
import { database } from '../../db/client'
import type { ApprovalView } from '../../lanes/tool-store'
import { isFinished, type LaneResult, ok } from '../../lanes/types'
import type { Logger } from '../../observability/logger'
import type { TraceContext } from '../../observability/trace'
import type { ToolSubject } from '../../security/subject'
import { appendThroughChain } from '../audit'
import { callLane, checkBudget, openLane, traceparentOf } from '../lane/client'

export interface HookScope {
	env: Env
	logger: Logger
	requestId: string
	/** The webhook request's trace (undefined with telemetry off). */
	trace: TraceContext | undefined
	waitUntil(promise: Promise<unknown>): void
	now(): number
}

/** The person writing through a channel, as the run's tools and the audit log see them. */
export const channelSubject = (channel: OpenChannel, senderId: string): ToolSubject => ({
	kind: 'channel',
	id: `${channel.row.id}:${senderId}`.slice(0, 200),
	role: 'member',
	tenantId: channel.row.tenantId,
	scopes: [],
	channel: channel.row.id,
})

/** Takes a verified inbound event; the outcome is what the plugin tells the platform. */
export async function takeInbound(
	scope: HookScope,
	channel: OpenChannel,
	inbound: Extract<Inbound, { type: 'message' | 'action' }>,
): Promise<InboundOutcome> {
	if (inbound.type === 'action') return decide(scope, channel, inbound.action)
	const envelope = inbound.envelope
	const command = approvalCommand(envelope.text)
	if (command) return decide(scope, channel, { ...envelope, ...command })
	const { common } = channel.config
	const paired =
		envelope.peer.kind === 'dm' &&
		!common.allowFrom.includes(envelope.sender.id) &&
		(common.dmPolicy === 'pairing' || common.dmPolicy === 'allowlist')
			? await isPaired(
					database(scope.env.DB),
					channel.row.tenantId,
					channel.row.id,
					envelope.sender.id,
				)
			: false
	const admission = admissionOf(common, envelope, paired)
	if (admission.kind === 'pair') return pair(scope, channel, envelope)
	if (admission.kind === 'drop') {
		scope.logger.debug('channel.dropped', { channel: channel.row.id, reason: admission.reason })
		return { kind: 'dropped', reason: admission.reason }
	}
	const route = routeOf(channel.row, common, envelope)
	const lane = await openLane(scope.env, channel.row.tenantId, route.sessionKey, route.agentId)
	await checkBudget(scope.env, lane)
	const result = await callLane(scope.logger, () =>
		lane.stub.send(
			{
				session: lane.ref,
				agent: lane.agent,
				content: [{ type: 'text', text: messageText(admission.text, envelope) }],
				mode: common.queueMode,
				idempotencyKey: `channel:${channel.row.id}:${envelope.dedupeKey}`.slice(0, 256),
				maxConcurrentRuns: lane.maxConcurrentRuns,
				subject: channelSubject(channel, envelope.sender.id),
				reply: { channelId: channel.row.id, kind: channel.row.kind, target: envelope.reply },
				...traceparentOf(scope.trace),
			},
			inbound.waitMs ? { waitMs: inbound.waitMs, inlineReply: true } : {},
		),
	)
	// Only an answer held for this caller comes back in the response; any other goes out through
	// the outbox, so an answer never takes both paths.
	const final = result.final
	if (final && isFinished(final.status)) {
		return {
			kind: 'answered',
			runId: final.runId,
			status: final.status,
			output: final.output,
			error: final.error,
		}
	}
	return { kind: 'accepted', runId: result.run.runId, duplicate: result.duplicate }
}

/** The message as the agent reads it: the text, then a line per attachment it cannot see. */
function messageText(text: string, envelope: Envelope): string {
	const files = envelope.attachments.map(
		(a) => `[attachment: ${a.kind}${a.name ? ` "${a.name}"` : ''}${a.mime ? ` (${a.mime})` : ''}]`,
	)
	const body = [text, ...files].filter((s) => s !== '').join('\n')
	return body === '' ? '(empty message)' : body
}

const CHOICES = { once: 'allow-once', always: 'allow-always', deny: 'deny' } as const

/** An approval decided from the channel, by a sender the channel admits by name or pairing. */
async function decide(
	scope: HookScope,
	channel: OpenChannel,
	action: Pick<ApprovalAction, 'peer' | 'thread' | 'space' | 'sender' | 'approvalId' | 'choice'>,
): Promise<InboundOutcome> {
	const { common } = channel.config
	const { tenantId, id } = channel.row
	const paired = await isPaired(database(scope.env.DB), tenantId, id, action.sender.id)
	const actor = `channel:${id}:${action.sender.id}`
	if (!mayApprove(common, action.sender, paired)) {
		// Audited only for someone the channel lets talk; a stranger's attempts are just logged,
		// so nobody outside can grow the audit log by pressing or typing.
		const talks =
			admissionOf(common, { ...action, mentioned: true, text: '' }, paired).kind === 'admit'
		if (talks) {
			audit(scope, tenantId, actor, 'channel.approval_refused', `channel:${id}`, 'deny', {
				approvalId: action.approvalId,
			})
		} else scope.logger.info('channel.approval_ignored', { channel: id })
		return { kind: 'dropped', reason: 'you may not decide approvals here' }
	}
	const route = routeOf(channel.row, common, action)
	const lane = await openLane(scope.env, tenantId, route.sessionKey, route.agentId)
	const choice = CHOICES[action.choice]
	const decided = (await callLane(scope.logger, async () =>
		ok(await lane.stub.decideApproval(action.approvalId, choice, actor)),
	)) as LaneResult<ApprovalView>
	if (!decided.ok) return { kind: 'dropped', reason: decided.error.message }
	audit(
		scope,
		tenantId,
		actor,
		'tool.approval',
		`session:${route.agentId}/${route.sessionKey}`,
		choice === 'deny' ? 'deny' : 'success',
		{
			approvalId: action.approvalId,
			decision: choice,
			tool: decided.value.tool,
			runId: decided.value.runId,
			channel: id,
		},
	)
	// Taken: the plugin answers as for an accepted event (Telegram "Allowed once", Discord's
	// deferred update); a refusal by the lane (unknown, already decided) is the reason shown.
	return { kind: 'accepted', runId: decided.value.runId, duplicate: false }
}

/** An unknown sender under pairing: a code (new, or a reminder) sent back, nothing for the agent. */
async function pair(
	scope: HookScope,
	channel: OpenChannel,
	envelope: Envelope,
): Promise<InboundOutcome> {
	const { tenantId, id } = channel.row
	const answer = await requestPairing(
		database(scope.env.DB),
		{ tenantId, id },
		envelope,
		scope.now(),
		// Where the code is only ever in the webhook's answer, every ask shows it again.
		channel.plugin.noticeInResponse ? { remindEveryMs: 0 } : {},
	)
	if (!answer.notify) {
		scope.logger.info('channel.pairing_quiet', { channel: id, reason: answer.reason })
		return { kind: 'dropped', reason: 'pairing' }
	}
	audit(
		scope,
		tenantId,
		`channel:${id}:${envelope.sender.id}`,
		'channel.pairing_requested',
		`channel:${id}`,
		'success',
		{
			sender: envelope.sender.id,
		},
	)
	const notice = pairingText(answer.code)
	if (!channel.plugin.noticeInResponse) {
		scope.waitUntil(sendNotice(channel, envelope.reply, notice, scope.logger))
	}
	return { kind: 'dropped', reason: 'pairing', notice }
}

function audit(
	scope: HookScope,
	tenantId: string,
	actor: string,
	action: string,
	target: string,
	outcome: 'success' | 'deny',
	data: Record<string, unknown>,
): void {
	scope.waitUntil(
		appendThroughChain(scope.env, {
			tenantId,
			actor,
			action,
			target,
			outcome,
			requestId: scope.requestId,
			...(scope.trace && { traceId: scope.trace.traceId }),
			data,
		}).catch((error: unknown) => scope.logger.error('audit.append_failed', { action, error })),
	)
}
