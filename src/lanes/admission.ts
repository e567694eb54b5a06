// How a message is taken into a lane: idempotency, the size and queue caps, client-supplied
// history, and the four queue modes (a run of its own, batched into the queued `collect` run,
// steered into the active run, or ahead of the queue). A message's reply route becomes the route of
// the run that carries it (the newest message's route wins). It runs inside the lane's
// transaction; the lane pumps afterwards.

import type { ToolResultPart } from '../agents/runner'
import { childSpan, formatTraceparent, parseTraceparent } from '../observability/trace'
import type { SessionRef } from '../security/subject'
import type { LaneLimits } from './limits'
import { bytesOf } from './rows'
import { type PendingMessage, type RunRecord, runView } from './store'
import type { ActiveRun, TurnContext } from './turn'
import {
	type ContextMessage,
	fail,
	type LaneResult,
	ok,
	type SubmitOutcome,
	type SubmitRequest,
} from './types'

/** What taking a message needs from its lane. */
export interface Admission extends Pick<TurnContext, 'store' | 'host' | 'emit'> {
	/** The run the lane is executing, if any. */
	active: ActiveRun | undefined
	/** Stops the active run for an `interrupt`. */
	interrupt(active: ActiveRun): void
	/** The message created the session: it enters the sessions index. */
	created(session: SessionRef, now: number): void
}

/** Stores the message (and the session, on its first one); when it returns, the message is kept. */
export function admit(
	a: Admission,
	req: SubmitRequest,
	limits: LaneLimits,
	now: number,
): LaneResult<SubmitOutcome> {
	const { store, host } = a
	store.migrate()
	const created = ensureSession(a, req.session, now)
	if (created && req.parent) store.setMeta('parent', JSON.stringify(req.parent))
	if (created && req.ephemeral) store.markEphemeral()
	if (req.idempotencyKey) {
		const seen = store.runs.idempotent(req.idempotencyKey, now - limits.idempotencyTtlMs)
		const run = seen && store.runs.get(seen)
		if (run) return ok({ run: runView(run), duplicate: true, disposition: 'queued' })
	}
	const stats = store.transcript.stats()
	const context = stats.active === 0 ? (req.context ?? []) : []
	const results = req.toolResults ?? []
	const answered = results.length > 0 ? answerCalls(store, context, results) : ok([])
	if (!answered.ok) return answered
	const incomingBytes =
		bytesOf(req.content) + bytesOf(results) + context.reduce((n, m) => n + contextBytes(m), 0)
	const stored = stats.bytes + store.runs.queuedBytes()
	if (stored + incomingBytes > limits.maxSessionBytes) {
		return fail(
			'session_full',
			`The session holds more than ${limits.maxSessionBytes} bytes; reset it or start another.`,
		)
	}
	for (const m of context) seed(a, m, now)
	const message: PendingMessage = {
		id: host.newId(),
		content: req.content,
		at: now,
		subject: req.subject,
	}
	// Tool results go ahead of the message; with either, the request's options need a run of its own.
	const input: PendingMessage[] = [
		...(answered.value.length > 0
			? [
					{
						id: host.newId(),
						role: 'tool' as const,
						content: answered.value,
						at: now,
						subject: req.subject,
					},
				]
			: []),
		...(req.content.length > 0 || answered.value.length === 0 ? [message] : []),
	]
	const own = req.options !== undefined || answered.value.length > 0
	const current = a.active
	// The active run's row is read only by the modes that join it.
	const active =
		current && (req.mode === 'steer' || req.mode === 'collect')
			? store.runs.get(current.id)
			: undefined

	if (req.mode === 'steer' && !own && current && active && !current.reason) {
		store.runs.setSteer(active.id, [...active.steer, message])
		if (req.reply) store.runs.setReply(active.id, req.reply)
		current.steered = true
		a.emit('steered', active.id, { messageId: message.id })
		if (req.idempotencyKey) store.runs.rememberIdempotency(req.idempotencyKey, active.id, now)
		return ok({ run: runView(active), duplicate: false, disposition: 'steered' })
	}
	if (store.runs.queuedMessages() >= limits.queueCap) {
		return fail('queue_full', `The session already has ${limits.queueCap} queued messages.`, 5)
	}
	if (req.mode === 'collect' && !own && (active || store.runs.count('queued') > 0)) {
		const tail = store.runs.tailCollect()
		if (tail) {
			store.runs.setInput(tail.id, [...tail.input, message])
			if (req.reply) store.runs.setReply(tail.id, req.reply)
			a.emit('queued', tail.id, {
				messageId: message.id,
				mode: 'collect',
				batched: tail.input.length + 1,
			})
			if (req.idempotencyKey) store.runs.rememberIdempotency(req.idempotencyKey, tail.id, now)
			const updated = store.runs.get(tail.id) as RunRecord
			return ok({ run: runView(updated), duplicate: false, disposition: 'collected' })
		}
	}
	const runId = host.newId()
	const queued = store.runs.insert({
		id: runId,
		mode: req.mode,
		input,
		agent: req.agent,
		idempotencyKey: req.idempotencyKey,
		createdAt: now,
		gateLimit: req.maxConcurrentRuns,
		head: req.mode === 'interrupt',
		subject: req.subject,
		reply: req.reply ?? null,
		trace: runTrace(req.traceparent),
		...(req.options && { options: req.options }),
	})
	if (req.idempotencyKey) store.runs.rememberIdempotency(req.idempotencyKey, runId, now)
	a.emit('queued', runId, { messageId: (input.at(-1) as PendingMessage).id, mode: req.mode })
	if (req.mode === 'interrupt' && current) a.interrupt(current)
	if (created) a.created(req.session, now)
	return ok({ run: runView(queued), duplicate: false, disposition: 'queued' })
}

/** A new run's traceparent: a span of its own in the trace of the request that started it. */
function runTrace(traceparent: string | undefined): string | null {
	const parent = parseTraceparent(traceparent)
	return parent ? formatTraceparent(childSpan(parent)) : null
}

/** One message of client-supplied history, stored before the run that brought it. */
function seed(a: Admission, m: ContextMessage, now: number): void {
	const content = m.parts ?? [{ type: 'text' as const, text: m.text }]
	a.store.transcript.insert({
		id: a.host.newId(),
		runId: null,
		role: m.role,
		content,
		tokens: Math.ceil(bytesOf(content) / 4),
		createdAt: now,
	})
}

const contextBytes = (m: ContextMessage): number => (m.parts ? bytesOf(m.parts) : m.text.length)

/**
 * Client tool results matched to the open calls they answer (the transcript's, or the history's
 * being seeded): each must answer a call still open, once; its name is the call's. Calls left
 * unanswered stay open (the next turn tells the model so).
 */
function answerCalls(
	store: Admission['store'],
	context: readonly ContextMessage[],
	results: readonly ToolResultPart[],
): LaneResult<ToolResultPart[]> {
	const messages = [
		...store.transcript.active().map((m) => ({ role: m.role, content: m.content })),
		...context.map((m) => ({ role: m.role, content: m.parts ?? [] })),
	]
	const open = new Map<string, string>()
	for (const m of messages) {
		for (const p of m.content) {
			if (p.type === 'tool-call' && m.role === 'assistant') open.set(p.callId, p.name)
			else if (p.type === 'tool-result') open.delete(p.callId)
		}
	}
	const out: ToolResultPart[] = []
	for (const r of results) {
		const name = open.get(r.callId)
		if (name === undefined) {
			return fail(
				'bad_request',
				`The tool result for "${r.callId.slice(0, 64)}" answers no open tool call of this session (unknown, or answered already).`,
			)
		}
		open.delete(r.callId)
		out.push({ ...r, name })
	}
	return ok(out)
}

/** Records the session's identity on its first message; true when this created it. */
function ensureSession(a: Admission, session: SessionRef, now: number): boolean {
	if (a.store.session()) {
		a.store.setMeta('updated_at', String(now))
		return false
	}
	a.store.setMeta('session', JSON.stringify(session))
	a.store.setMeta('created_at', String(now))
	a.store.setMeta('updated_at', String(now))
	return true
}
