// The seam between a session lane and the agent layer: the lane hands a turn to an AgentRunner and
// gets back the reply; deltas, tool events and steer messages flow through TurnIO meanwhile.

import type { ModelCallRecord } from '../observability/usage'
import type { SessionRef } from '../security/subject'
import type { ToolCall } from '../tools/invoker'
import type { AnyToolSpec, ToolOutcome } from '../tools/registry'
import type { AgentConfig } from './config'

export interface TextPart {
	type: 'text'
	text: string
}

/** The model asked for a tool call (assistant messages). */
export interface ToolCallPart {
	type: 'tool-call'
	callId: string
	name: string
	/** The arguments as JSON text, exactly as the model wrote them (untrusted). */
	args: string
}

/** What a tool call returned (tool messages). The text is untrusted data, never instructions. */
export interface ToolResultPart {
	type: 'tool-result'
	callId: string
	name: string
	result: string
	isError?: boolean
}

export type MessagePart = TextPart | ToolCallPart | ToolResultPart

/** A message as the model sees it. */
export interface TurnMessage {
	role: 'user' | 'assistant' | 'system' | 'tool'
	content: MessagePart[]
}

export interface AgentSnapshot {
	tenantId: string
	id: string
	version: number
	config: AgentConfig
}

/**
 * A function tool the client defines and runs itself (OpenAI's `tools`): offered to the model
 * beside the agent's own tools, but never run here — a call to it ends the turn and goes back to
 * the client, whose next message carries the result.
 */
export interface ClientTool {
	name: string
	description?: string
	/** JSON Schema of the arguments (the client's; passed to the model as given). */
	parameters: Record<string, unknown>
	strict?: boolean
}

/** Which tool the first step must call: any (`required`), one by name, or the model decides. */
export type ToolChoice = 'auto' | 'none' | 'required' | { tool: string }

/** How the answer is shaped: free text, or JSON (matching `schema` when given). */
export type ResponseFormat =
	| { type: 'text' }
	| { type: 'json'; schema?: Record<string, unknown>; name?: string; description?: string }

/** What the request that started a run asks of it beyond its message (OpenAI-style requests). */
export interface RunOptions {
	clientTools?: ClientTool[]
	/** Applies to client tools; the agent's own tools stay as its config has them. */
	toolChoice?: ToolChoice
	responseFormat?: ResponseFormat
}

export interface TurnInput {
	runId: string
	session: SessionRef
	agent: AgentSnapshot
	/** The session's context before this turn (compacted). */
	transcript: TurnMessage[]
	/** The user message(s) of this turn: one, or several for a `collect` batch. */
	input: TurnMessage[]
	signal: AbortSignal
	/** Epoch ms by which the turn must end. */
	deadline: number
	/** The tools the agent may call in this turn (its selection, its MCP servers' tools). */
	tools: readonly AnyToolSpec[]
	/** The run's W3C traceparent: every provider request of the turn carries it. */
	traceparent?: string
	/** Client tools, tool choice and response format of the request that started the run. */
	options?: RunOptions
	/** The agent's pinned memory for the system prompt, already cut to its budget. */
	memory?: string
}

export interface ToolEventData {
	phase: 'call' | 'result'
	name: string
	callId: string
	data?: unknown
}

export interface TurnIO {
	/** Streams a piece of the reply to subscribers. */
	delta(text: string): void
	tool(event: ToolEventData): void
	/**
	 * Runs one tool call to its outcome: policy, approval, the lane or the queue. Refusals and
	 * failures are error outcomes; it throws only when the run is stopped.
	 */
	invoke(call: ToolCall): Promise<ToolOutcome>
	/** Takes the messages steered into this run since the last call (empty when none). */
	steer(): TurnMessage[]
	/** True when messages wait to be steered into this run (nothing is taken). */
	hasSteer(): boolean
	/**
	 * Stores messages of a finished step (an assistant message and its tool results) in the
	 * transcript at once, so steered messages taken afterwards follow them in order.
	 */
	commit(messages: TurnMessage[]): void
	/** Records one model call (tokens, latency, outcome) on the run and in usage accounting. */
	call(record: ModelCallRecord): void
}

export interface Usage {
	inputTokens: number
	outputTokens: number
}

export type { ModelCallRecord } from '../observability/usage'

export interface TurnResult {
	/** The final answer (text of the last step). */
	text: string
	/** Totals over every model call of the turn. */
	usage: Usage
	/** The model that produced the final answer. */
	model: string
	/**
	 * Calls of client tools the last step made: the turn ends there and the client runs them
	 * (the step, with its calls, is already committed to the transcript).
	 */
	clientCalls?: ToolCallPart[]
}

export interface AgentRunner {
	runTurn(input: TurnInput, io: TurnIO): Promise<TurnResult>
	/** Summarises older messages for compaction, with the agent's models (traced like a turn). */
	summarize(
		messages: TurnMessage[],
		signal: AbortSignal,
		agent: AgentSnapshot,
		traceparent?: string,
	): Promise<string>
}
