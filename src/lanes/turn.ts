// One turn of a lane: compact if needed, call the agent runner with the transcript, stream its
// deltas and tool events, take steered messages at each step, and record the outcome — succeeded,
// failed (with a code) or cancelled — in one transaction. The lane decides when a turn starts;
// this module decides what a turn does.
import type {
	AgentRunner,
	MessagePart,
	ModelCallRecord,
	TurnMessage,
	TurnResult,
} from '../agents/runner'
import { estimateTokens, partChars } from '../agents/text'
import { HEARTBEAT_CHANNEL, isHeartbeatAck } from '../automation/heartbeat/ack'
import { traceIdOf } from '../observability/trace'
import type { SessionsPort } from '../tools/sessions'
import { planCompaction, toTurnMessages } from './compaction'
import { PendingDeltas } from './deltas'
import type { LaneHost } from './host'
import { type LaneLimits, limitsFor } from './limits'
import { lanePoint, type RunEnd, runPoint } from './metrics'
import { asUserMessage, type LaneStore, type PendingMessage, type RunRecord } from './store'
import type { LaneToolCalls } from './tool-calls'
import { runInvoker } from './turn-tools'
import type { LaneEventType, RunStatus } from './types'

export type StopReason = 'cancelled' | 'interrupted' | 'deadline' | 'reset'

/** The run a lane is executing, as the lane and the turn share it. */
export interface ActiveRun {
	id: string
	controller: AbortController
	/** When this attempt started, its number (1-based), and the runs queued behind it then. */
	startedAt: number
	attempt: number
	queueDepth: number
	deadline: number
	reason: StopReason | undefined
	/** Set once a message was steered into this run, so its end checks for untaken steers. */
	steered: boolean
	/** Rejects with RunStopped when the run is stopped; raced against every await of the turn. */
	stopped: Promise<never>
	done: Promise<void>
}

export class RunStopped extends Error {
	override readonly name = 'RunStopped'
	readonly reason: StopReason
	constructor(reason: StopReason) {
		super(`run stopped: ${reason}`)
		this.reason = reason
	}
}

/**
 * The in-memory handle of a run the lane starts (`run` as read before it was marked running): its
 * abort switch and the stop it races.
 */
export function activeRun(
	run: RunRecord,
	start: { startedAt: number; deadline: number; queueDepth: number },
): ActiveRun {
	const controller = new AbortController()
	const stopped = new Promise<never>((_, reject) => {
		controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
			once: true,
		})
	})
	stopped.catch(() => {})
	return {
		id: run.id,
		controller,
		startedAt: start.startedAt,
		attempt: run.attempt + 1,
		queueDepth: start.queueDepth,
		deadline: start.deadline,
		reason: undefined,
		steered: run.steer.length > 0,
		stopped,
		done: Promise.resolve(),
	}
}

/** What a turn needs from its lane. */
export interface TurnContext {
	store: LaneStore
	host: LaneHost
	/** The lane's tool jobs and approvals. */
	tools: LaneToolCalls
	/** One transaction; events emitted inside reach subscribers once it commits. */
	tx<T>(fn: () => T): T
	emit(type: LaneEventType, runId: string | null, data: Record<string, unknown>): void
	/** True while this turn is still the lane's active, unstopped run. */
	live(): boolean
	/** The `group:sessions` tools' capability for one call of the run (subagents). */
	sessions?(run: RunRecord, call: { callId: string; signal: AbortSignal }): SessionsPort
}

/** Runs the turn to its end and returns the status it recorded. Never throws. */
export async function executeTurn(
	ctx: TurnContext,
	run: RunRecord,
	active: ActiveRun,
): Promise<RunStatus> {
	const runner = ctx.host.runnerFor(run.agent)
	const limits = limitsFor(run.agent)
	const signal = active.controller.signal
	const calls: ModelCallRecord[] = []
	// The run's lines carry its trace id (the trace of the request that started it).
	const logger = ctx.host.logger.child({ runId: run.id, traceId: traceIdOf(run.trace) })
	let toolCalls = 0
	/** Set once the run's end is stored: only then is it measured (a lane gone mid-turn is not). */
	let end: RunEnd | undefined
	const deltas = new PendingDeltas(ctx, run.id)
	try {
		// A run that starts over (after an eviction) drops the steps its earlier attempt wrote.
		// (`run` was read before this attempt was counted: the attempt's number is the active run's.)
		if (active.attempt > 1) ctx.tx(() => ctx.store.transcript.deleteRunOutput(run.id))
		await Promise.race([quiet(compact(ctx, run, runner, limits, signal)), active.stopped])
		const transcript = ctx.store.transcript.active().filter((m) => m.runId !== run.id)
		const session = ctx.store.session() ?? {
			tenantId: run.agent.tenantId,
			agentId: run.agent.id,
			sessionKey: '',
		}
		const tools = await Promise.race([quiet(ctx.host.toolbox.toolsFor(run.agent)), active.stopped])
		// Pinned memory for the system prompt (only with memory tools; cached per isolate).
		const pinned = ctx.host.toolbox.pinnedMemory
			? await Promise.race([
					quiet(ctx.host.toolbox.pinnedMemory(run.agent, run.subject ?? undefined, tools)),
					active.stopped,
				])
			: undefined
		const { invoker, tookSteer } = runInvoker(ctx, run, session, signal)
		const result: TurnResult = await Promise.race([
			quiet(
				runner.runTurn(
					{
						runId: run.id,
						session,
						agent: run.agent,
						tools,
						transcript: toTurnMessages(transcript, limits.toolResultMaxChars),
						input: run.input.map(asUserMessage),
						signal,
						deadline: active.deadline,
						...(run.trace && { traceparent: run.trace }),
						...(run.options && { options: run.options }),
						...(pinned && { memory: pinned }),
					},
					{
						delta: (text) => deltas.add(text),
						tool: (event) => {
							if (ctx.live())
								ctx.tx(() => {
									deltas.write()
									ctx.emit('tool', run.id, { ...event })
								})
						},
						invoke: (call) => {
							toolCalls++
							// What the model said before the call goes out before anything the call emits.
							deltas.flush()
							return invoker.invoke(tools, call)
						},
						steer: () => {
							const taken = ctx.live() ? takeSteer(ctx, run.id) : []
							if (taken.length > 0) tookSteer()
							return taken
						},
						hasSteer: () =>
							active.steered && ctx.live() && (ctx.store.runs.get(run.id)?.steer.length ?? 0) > 0,
						commit: (messages) => {
							if (ctx.live())
								ctx.tx(() => {
									deltas.write()
									commitStep(ctx, run.id, messages)
								})
						},
						call: (record) => {
							calls.push(record)
						},
					},
				),
			),
			active.stopped,
		])
		if (!ctx.live()) throw new RunStopped(active.reason ?? 'cancelled')
		const now = ctx.host.now()
		ctx.tx(() => {
			deltas.write()
			if (active.steered) requeueLeftoverSteers(ctx, run.id, now)
			const clientCalls = result.clientCalls ?? []
			const quiet = clientCalls.length === 0 && isQuietHeartbeat(ctx, run, result.text)
			// A heartbeat with nothing to report leaves the transcript as it found it.
			if (quiet) ctx.store.transcript.deleteRun(run.id)
			// A turn that ends in client tool calls committed its last step (text and calls) already.
			else if (clientCalls.length === 0) {
				ctx.store.transcript.insert({
					id: ctx.host.newId(),
					runId: run.id,
					role: 'assistant',
					content: [{ type: 'text', text: result.text }],
					tokens: result.usage.outputTokens,
					createdAt: now,
				})
			}
			ctx.store.runs.finish(run.id, {
				status: 'succeeded',
				finishedAt: now,
				output: result.text,
				model: result.model,
				inputTokens: result.usage.inputTokens,
				outputTokens: result.usage.outputTokens,
				calls,
				clientCalls,
			})
			ctx.emit('final', run.id, {
				output: result.text,
				usage: result.usage,
				model: result.model,
				...(clientCalls.length > 0 && { clientToolCalls: clientCalls }),
			})
		})
		end = { outcome: 'succeeded', finishedAt: now, model: result.model }
		return 'succeeded'
	} catch (error) {
		const now = ctx.host.now()
		const reason = active.reason ?? (error instanceof RunStopped ? error.reason : undefined)
		const ended = ctx.tx((): RunEnd => {
			// Deltas taken while the run was live are told before its end, as they came.
			deltas.write()
			// Before the run is finished (which clears its steer list): steers it never took run next.
			if (reason !== 'reset' && active.steered) requeueLeftoverSteers(ctx, run.id, now)
			if (reason === 'deadline') {
				failRun(
					ctx,
					run.id,
					'deadline_exceeded',
					`The run passed its ${limits.runDeadlineMs} ms deadline.`,
					now,
					calls,
				)
				return { outcome: 'failed', code: 'deadline_exceeded', finishedAt: now }
			}
			if (reason) {
				ctx.store.runs.finish(run.id, { status: 'cancelled', finishedAt: now, calls })
				ctx.emit('cancelled', run.id, { reason })
				return { outcome: 'cancelled', code: reason, finishedAt: now }
			}
			const code = errorCode(error)
			logger.warn('lane.run_failed', { code, error })
			failRun(ctx, run.id, code, errorMessage(error), now, calls)
			return { outcome: 'failed', code, finishedAt: now }
		})
		end = ended
		return ended.outcome
	} finally {
		const traceId = traceIdOf(run.trace)
		if (calls.length > 0) ctx.host.usage.record(run.agent, calls, traceId)
		if (end) {
			const started = { ...run, startedAt: active.startedAt, attempt: active.attempt }
			ctx.host.metrics.write(
				runPoint(started, { ...end, calls, toolCalls, queueDepth: active.queueDepth, traceId }),
			)
		}
	}
}

/**
 * True for a heartbeat turn answered `HEARTBEAT_OK` that carries no one else's message (none
 * joined or steered into it): its exchange is dropped from the transcript, as OpenClaw prunes it,
 * so idle heartbeats do not fill the context later turns pay for. The run record keeps it.
 */
function isQuietHeartbeat(ctx: TurnContext, run: RunRecord, text: string): boolean {
	// Its starter never changes: a run a heartbeat did not start needs no read.
	if (run.subject?.channel !== HEARTBEAT_CHANNEL) return false
	const stored = ctx.store.runs.get(run.id)
	if (!stored || stored.subject?.channel !== HEARTBEAT_CHANNEL) return false
	if (stored.steer.length > 0) return false
	const senders = stored.input.map((m, i) => m.subject ?? (i === 0 ? stored.subject : null))
	if (!senders.every((s) => s?.channel === HEARTBEAT_CHANNEL)) return false
	return isHeartbeatAck(text)
}

/** Stores one finished step of the turn (assistant message + tool results) in the transcript. */
function commitStep(ctx: TurnContext, runId: string, messages: TurnMessage[]): void {
	const now = ctx.host.now()
	for (const m of messages) {
		if (m.content.length === 0) continue
		ctx.store.transcript.insert({
			id: ctx.host.newId(),
			runId,
			role: m.role,
			content: m.content,
			tokens: tokensOf(m.content),
			createdAt: now,
		})
	}
}

/** Folds older messages into a summary when the next turn would not fit the context budget. */
async function compact(
	ctx: TurnContext,
	run: RunRecord,
	runner: AgentRunner,
	limits: LaneLimits,
	signal: AbortSignal,
): Promise<void> {
	// Fast path from the trigger-kept counts (they include this run's input, already stored).
	const stats = ctx.store.transcript.stats()
	if (stats.active + 1 <= limits.maxMessages && stats.tokens <= limits.contextBudgetTokens) return
	const active = ctx.store.transcript.active().filter((m) => m.runId !== run.id)
	const incomingTokens = run.input.reduce((n, m) => n + tokensOf(m.content), 0)
	// The turn adds its input and one reply; the message cap holds after the turn, not only before.
	const plan = planCompaction(
		active,
		{ messages: run.input.length + 1, tokens: incomingTokens },
		limits,
	)
	if (!plan) return
	const summary = await runner.summarize(
		toTurnMessages(plan.fold, limits.toolResultMaxChars),
		signal,
		run.agent,
		run.trace ?? undefined,
	)
	const now = ctx.host.now()
	const folded = ctx.tx(() => {
		const folded = ctx.store.transcript.markCompacted(plan.upToSeq)
		ctx.store.transcript.insert({
			id: ctx.host.newId(),
			runId: null,
			role: 'system',
			kind: 'summary',
			content: [{ type: 'text', text: summary }],
			tokens: estimateTokens(summary),
			createdAt: now,
		})
		const compactions = Number(ctx.store.getMeta('compactions') ?? '0') + 1
		ctx.store.setMeta('compactions', String(compactions))
		ctx.emit('compacted', run.id, { folded, compactions })
		return folded
	})
	ctx.host.metrics.write(
		lanePoint({ tenantId: run.agent.tenantId, agentId: run.agent.id }, 'compacted', folded),
	)
}

/** Hands the run the messages steered into it since the last step; they join its input. */
function takeSteer(ctx: TurnContext, runId: string): TurnMessage[] {
	return ctx.tx(() => {
		const run = ctx.store.runs.get(runId)
		if (!run || run.steer.length === 0) return []
		ctx.store.runs.setSteer(runId, [])
		ctx.store.runs.setInput(runId, [...run.input, ...run.steer])
		for (const m of run.steer) insertUser(ctx, m, runId)
		return run.steer.map(asUserMessage)
	})
}

/**
 * Steered messages the run never took become the next run: no message is dropped. That run is
 * started by the first leftover's sender, never by the run they were steered into, and carries
 * each leftover with its own sender (so it acts with the least rights among them).
 */
export function requeueLeftoverSteers(
	ctx: Pick<TurnContext, 'store' | 'host' | 'emit'>,
	runId: string,
	now: number,
): void {
	const run = ctx.store.runs.get(runId)
	if (!run || run.steer.length === 0) return
	const nextId = ctx.host.newId()
	ctx.store.runs.insert({
		id: nextId,
		mode: 'followup',
		input: run.steer,
		agent: run.agent,
		idempotencyKey: undefined,
		createdAt: now,
		gateLimit: run.gateLimit,
		head: true,
		// A steer stored before messages named their sender: nobody, so the run may call no tool.
		subject: run.steer[0]?.subject ?? null,
		// They answer where the run they were steered into answers (its newest message's route).
		reply: run.reply,
		trace: run.trace,
	})
	ctx.store.runs.setSteer(runId, [])
	ctx.emit('queued', nextId, { mode: 'followup', steeredFrom: runId, messages: run.steer.length })
}

export function failRun(
	ctx: Pick<TurnContext, 'store' | 'emit'>,
	runId: string,
	code: string,
	message: string,
	now: number,
	calls?: readonly ModelCallRecord[],
): void {
	ctx.store.runs.finish(runId, {
		status: 'failed',
		finishedAt: now,
		error: { code, message },
		...(calls ? { calls } : {}),
	})
	ctx.emit('error', runId, { code, message, retrying: false })
}

/** A user message enters the transcript when its run takes it. */
export function insertUser(
	ctx: Pick<TurnContext, 'store'>,
	m: PendingMessage,
	runId: string,
): void {
	ctx.store.transcript.insert({
		id: m.id,
		runId,
		role: m.role ?? 'user',
		content: m.content,
		tokens: tokensOf(m.content),
		createdAt: m.at,
	})
}

const tokensOf = (parts: readonly MessagePart[]): number =>
	Math.ceil(parts.reduce((n, p) => n + partChars(p), 0) / 4)

function errorCode(error: unknown): string {
	if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
		return error.code
	}
	return 'run_failed'
}

function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message.slice(0, 1_000) : 'The run failed.'
}

/**
 * A promise raced against a stop: if the stop wins, the loser's later rejection must not surface
 * as an unhandled rejection. The returned promise still rejects for whoever awaits it.
 */
function quiet<T>(promise: Promise<T>): Promise<T> {
	promise.catch(() => {})
	return promise
}
