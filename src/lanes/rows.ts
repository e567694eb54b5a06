// Rows of the lane's tables and their mapping to the shapes the lane and its RPC use.
import type {
	AgentSnapshot,
	MessagePart,
	ModelCallRecord,
	RunOptions,
	TextPart,
	ToolCallPart,
	ToolResultPart,
	TurnMessage,
} from '../agents/runner'
import { partChars } from '../agents/text'
import { traceIdOf } from '../observability/trace'
import type { ToolSubject } from '../security/subject'
import { uniquePrincipals } from '../tools/principals'
import type {
	LaneEvent,
	LaneEventType,
	MessageView,
	QueueMode,
	ReplyRoute,
	RunError,
	RunStatus,
	RunView,
} from './types'

/**
 * A message waiting in a run until the run starts: a user's text, or (role `tool`) the results of
 * client tool calls.
 */
export interface PendingMessage {
	id: string
	/** Absent: a user message. */
	role?: 'tool'
	content: (TextPart | ToolResultPart)[]
	at: number
	/** Who sent it; absent on messages stored before runs could carry several senders. */
	subject?: ToolSubject
}

export interface RunRow extends Record<string, SqlStorageValue> {
	seq: number
	id: string
	queue_pos: number
	mode: string
	status: string
	attempt: number
	input: string
	steer: string
	agent: string
	idempotency_key: string | null
	created_at: number
	started_at: number | null
	finished_at: number | null
	deadline_at: number | null
	waiting_slot: number
	gate_limit: number | null
	output: string | null
	model: string | null
	input_tokens: number | null
	output_tokens: number | null
	error_code: string | null
	error_message: string | null
	calls: string | null
	subject: string | null
	reply: string | null
	trace: string | null
	options: string | null
	client_calls: string | null
}

export interface MessageRow extends Record<string, SqlStorageValue> {
	seq: number
	id: string
	run_id: string | null
	role: string
	kind: string
	content: string
	tokens: number
	bytes: number
	compacted: number
	created_at: number
}

export interface EventRow extends Record<string, SqlStorageValue> {
	seq: number
	ts: number
	type: string
	run_id: string | null
	data: string
	trace_id: string | null
}

/** A run as the lane works with it (parsed JSON columns). */
export interface RunRecord {
	id: string
	mode: QueueMode
	status: RunStatus
	attempt: number
	input: PendingMessage[]
	steer: PendingMessage[]
	agent: AgentSnapshot
	idempotencyKey: string | null
	createdAt: number
	startedAt: number | null
	finishedAt: number | null
	deadlineAt: number | null
	waitingSlot: boolean
	/** The tenant's cap when the run was queued; null = uncapped. */
	gateLimit: number | null
	output: string | null
	model: string | null
	inputTokens: number | null
	outputTokens: number | null
	error: RunError | null
	/** Every model call of the run (tokens, latency, outcome), in order. */
	calls: ModelCallRecord[]
	/** Who started the run (its first message's sender); null for runs from before tools. */
	subject: ToolSubject | null
	/** Where the run's answer is delivered (the route of the newest message it carries), if anywhere. */
	reply: ReplyRoute | null
	/** The run's W3C traceparent (its own span id); null for runs started without a trace. */
	trace: string | null
	/** What the request asked of the run beyond its message (client tools, response format). */
	options: RunOptions | null
	/** Client tool calls the run ended with (empty when none). */
	clientCalls: ToolCallPart[]
}

/**
 * Every principal whose message the run carries, its starter first: the senders of its input,
 * which grows as the run takes steered messages. Its tool calls must be allowed for each.
 * `nobody` stands for a sender that is not known (rows from before messages named theirs): the
 * first message is the starter's own; a later one without a sender allows no tool.
 */
export function runPrincipals(run: RunRecord, nobody: ToolSubject): ToolSubject[] {
	const starter = run.subject ?? nobody
	return uniquePrincipals([
		starter,
		...run.input.map((m, i) => m.subject ?? (i === 0 ? starter : nobody)),
	])
}

export const toRun = (r: RunRow, agent: AgentSnapshot): RunRecord => ({
	id: r.id,
	mode: r.mode as QueueMode,
	status: r.status as RunStatus,
	attempt: r.attempt,
	input: JSON.parse(r.input) as PendingMessage[],
	steer: JSON.parse(r.steer) as PendingMessage[],
	agent,
	idempotencyKey: r.idempotency_key,
	createdAt: r.created_at,
	startedAt: r.started_at,
	finishedAt: r.finished_at,
	deadlineAt: r.deadline_at,
	waitingSlot: r.waiting_slot === 1,
	gateLimit: r.gate_limit,
	output: r.output,
	model: r.model,
	inputTokens: r.input_tokens,
	outputTokens: r.output_tokens,
	error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
	calls: r.calls ? (JSON.parse(r.calls) as ModelCallRecord[]) : [],
	subject: r.subject ? (JSON.parse(r.subject) as ToolSubject) : null,
	reply: r.reply ? (JSON.parse(r.reply) as ReplyRoute) : null,
	trace: r.trace ?? null,
	options: r.options ? (JSON.parse(r.options) as RunOptions) : null,
	clientCalls: r.client_calls ? (JSON.parse(r.client_calls) as ToolCallPart[]) : [],
})

export const runView = (r: RunRecord): RunView => ({
	runId: r.id,
	status: r.status,
	mode: r.mode,
	attempt: r.attempt,
	waitingForSlot: r.waitingSlot,
	createdAt: r.createdAt,
	startedAt: r.startedAt,
	finishedAt: r.finishedAt,
	deadlineAt: r.deadlineAt,
	output: r.output,
	model: r.model,
	usage:
		r.inputTokens === null || r.outputTokens === null
			? null
			: { inputTokens: r.inputTokens, outputTokens: r.outputTokens },
	error: r.error,
	calls: r.calls,
	pendingInput: r.status === 'queued' ? r.input.length : 0,
	traceId: traceIdOf(r.trace) ?? null,
	...(r.clientCalls.length > 0 && { clientToolCalls: r.clientCalls }),
})

export const toMessage = (r: MessageRow): MessageView => ({
	seq: r.seq,
	id: r.id,
	runId: r.run_id,
	role: r.role as MessageView['role'],
	kind: r.kind as MessageView['kind'],
	content: JSON.parse(r.content) as MessagePart[],
	tokens: r.tokens,
	compacted: r.compacted === 1,
	createdAt: r.created_at,
})

export const toEvent = (r: EventRow): LaneEvent => ({
	seq: r.seq,
	ts: r.ts,
	type: r.type as LaneEventType,
	runId: r.run_id,
	data: JSON.parse(r.data) as Record<string, unknown>,
	...(r.trace_id && { traceId: r.trace_id }),
})

export const bytesOf = (content: readonly MessagePart[]): number => {
	let n = 0
	for (const part of content) n += partChars(part)
	return n
}

/** Converts a pending message into the model's shape. */
export const asUserMessage = (p: PendingMessage): TurnMessage => ({
	role: p.role ?? 'user',
	content: p.content,
})
