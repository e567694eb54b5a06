// Lane events as OpenClaw events. A run of a followed session becomes `chat` events
// (delta → final | aborted | error, each with the run's own seq) and `agent` events (streams
// `lifecycle`, `assistant`, `tool`); tool approvals become `exec.approval.*`; a session whose
// messages are subscribed also gets `session.message` for each answer, and a connection that
// subscribed to session events (`sessions.subscribe`) gets those plus `sessions.changed` as a run
// starts and ends.
import type { LaneEvent } from '../../lanes/types'

/** What a connection remembers about a session it follows (stored under `follow:<lane>`). */
export interface FollowState {
	/** The OpenClaw session key, `agent:<id>:<key>`. */
	key: string
	agentId: string
	sessionKey: string
	/** `sessions.messages.subscribe` asked for transcript messages. */
	messages: boolean
	since: number
}

/** The streaming state of one run: the answer so far and the seqs of its chat/agent events. */
export interface RunTrack {
	text: string
	chatSeq: number
	agentSeq: number
}

export type Frame = [event: string, payload: Record<string, unknown>]

/** edgeclaw's approval decisions are OpenClaw's exec decisions. */
export const APPROVAL_DECISIONS = ['allow-once', 'allow-always', 'deny'] as const

/**
 * A tool call waiting for approval as OpenClaw's exec approval request: its clients show
 * `command` (here the tool and its arguments) and offer `allowedDecisions`; `tool` and `args`
 * keep the call as edgeclaw made it.
 */
export function approvalRequest(
	tool: string,
	args: unknown,
	session: { key: string; agentId: string },
	runId: string,
) {
	// Lane events carry the arguments as (possibly shortened) JSON text, stored approvals as data.
	const text = typeof args === 'string' ? args : JSON.stringify(args ?? {})
	return {
		command: `${tool} ${text}`,
		tool,
		args,
		agentId: session.agentId,
		sessionKey: session.key,
		runId,
		allowedDecisions: [...APPROVAL_DECISIONS],
	}
}

export const assistantMessage = (text: string, ts: number) => ({
	role: 'assistant',
	content: [{ type: 'text', text }],
	timestamp: ts,
})

const errorKind = (code: unknown): string =>
	code === 'deadline_exceeded' || code === 'provider_timeout'
		? 'timeout'
		: code === 'rate_limited' || code === 'provider_rate_limited'
			? 'rate_limit'
			: code === 'context_length_exceeded'
				? 'context_length'
				: 'unknown'

/** What turning a lane event into frames needs of the connection. */
export interface FrameContext {
	runs: Map<string, RunTrack>
	now: number
	/** The client's name of a lane run (the idempotencyKey it sent), when it has one. */
	aliasOf?: (laneRunId: string) => string
	/** The connection subscribed to session events (`sessions.subscribe`). */
	sessionEvents?: boolean
}

export function laneFrames(follow: FollowState, event: LaneEvent, c: FrameContext): Frame[] {
	const { runs, now, aliasOf = (id: string) => id, sessionEvents = false } = c
	// The outbox giving up a channel delivery, and subagent bookkeeping, are not part of the run's stream.
	if (event.type === 'delivery.failed' || event.type.startsWith('subagent.')) return []
	if (!event.runId) {
		return event.type === 'reset'
			? [['sessions.changed', { sessionKey: follow.key, reason: 'reset', ts: event.ts }]]
			: []
	}
	const laneRunId = event.runId
	const runId = aliasOf(laneRunId)
	let track = runs.get(laneRunId)
	if (!track) {
		track = { text: '', chatSeq: 0, agentSeq: 0 }
		runs.set(laneRunId, track)
	}
	const t = track
	const base = { runId, sessionKey: follow.key, agentId: follow.agentId }
	const chat = (payload: Record<string, unknown>): Frame => [
		'chat',
		{ ...base, seq: ++t.chatSeq, ...payload },
	]
	const agent = (stream: string, data: Record<string, unknown>): Frame => [
		'agent',
		{ runId, sessionKey: follow.key, seq: ++t.agentSeq, stream, ts: event.ts, data },
	]
	const done = () => runs.delete(laneRunId)
	/** `sessions.changed` as OpenClaw sends it to session-event subscribers at a run's edges. */
	const changed = (
		phase: 'start' | 'end' | 'error',
		extra: Record<string, unknown> = {},
	): Frame[] =>
		sessionEvents
			? [
					[
						'sessions.changed',
						{
							sessionKey: follow.key,
							agentId: follow.agentId,
							phase,
							runId,
							ts: event.ts,
							...extra,
						},
					],
				]
			: []
	const d = event.data
	switch (event.type) {
		case 'started':
			return [agent('lifecycle', { phase: 'start', attempt: d.attempt }), ...changed('start')]
		case 'delta': {
			const delta = typeof d.text === 'string' ? d.text : ''
			t.text += delta
			return [
				chat({ state: 'delta', deltaText: delta, message: assistantMessage(t.text, event.ts) }),
				agent('assistant', { text: t.text, delta }),
			]
		}
		case 'tool':
			return [agent('tool', { ...d })]
		case 'final': {
			done()
			const text = typeof d.output === 'string' ? d.output : t.text
			const message = assistantMessage(text, event.ts)
			const usage = d.usage as { inputTokens?: number; outputTokens?: number } | undefined
			const frames: Frame[] = [
				chat({
					state: 'final',
					message,
					stopReason: 'stop',
					...(usage && {
						usage: {
							input: usage.inputTokens ?? 0,
							output: usage.outputTokens ?? 0,
							totalTokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0),
						},
					}),
				}),
				agent('lifecycle', { phase: 'end', endedAt: event.ts }),
			]
			if (follow.messages || sessionEvents) {
				frames.push([
					'session.message',
					{ sessionKey: follow.key, agentId: follow.agentId, runId, message },
				])
			}
			return [...frames, ...changed('end')]
		}
		case 'cancelled':
			done()
			return [
				chat({ state: 'aborted', stopReason: String(d.reason ?? 'cancelled') }),
				agent('lifecycle', { phase: 'end', aborted: true, reason: d.reason, endedAt: event.ts }),
				...changed('end', { aborted: true }),
			]
		case 'error':
			// An error the lane will retry (after a restart) is not the end of the run.
			if (d.retrying === true) return []
			done()
			return [
				chat({
					state: 'error',
					errorMessage: String(d.message ?? 'the run failed'),
					errorKind: errorKind(d.code),
				}),
				agent('lifecycle', { phase: 'error', error: String(d.message ?? ''), code: d.code }),
				...changed('error'),
			]
		case 'approval.requested':
			return [
				[
					'exec.approval.requested',
					{
						id: d.approvalId,
						sessionKey: follow.key,
						runId,
						request: {
							...approvalRequest(String(d.tool), d.args, follow, runId),
							sideEffect: d.sideEffect,
						},
						createdAtMs: event.ts,
						expiresAtMs: d.deadline,
					},
				],
			]
		case 'approval.resolved':
			return [
				[
					'exec.approval.resolved',
					{
						id: d.approvalId,
						sessionKey: follow.key,
						runId,
						decision: d.decision,
						resolvedBy: d.by ?? null,
						ts: now,
					},
				],
			]
		default:
			return []
	}
}
