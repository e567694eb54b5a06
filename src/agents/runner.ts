// The seam between a session lane and the agent layer: the lane hands a turn to an AgentRunner and
// gets back the reply; deltas, tool events and steer messages flow through TurnIO meanwhile.
import type { AgentConfig } from './config'

export interface TextPart {
	type: 'text'
	text: string
}

/** A message as the model sees it. Tool parts join in the agent-runner issue. */
export interface TurnMessage {
	role: 'user' | 'assistant' | 'system' | 'tool'
	content: TextPart[]
}

export interface AgentSnapshot {
	tenantId: string
	id: string
	version: number
	config: AgentConfig
}

export interface TurnInput {
	runId: string
	agent: AgentSnapshot
	/** The session's context before this turn (compacted). */
	transcript: TurnMessage[]
	/** The user message(s) of this turn: one, or several for a `collect` batch. */
	input: TurnMessage[]
	signal: AbortSignal
	/** Epoch ms by which the turn must end. */
	deadline: number
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
	/** Takes the messages steered into this run since the last call (empty when none). */
	steer(): TurnMessage[]
}

export interface Usage {
	inputTokens: number
	outputTokens: number
}

export interface TurnResult {
	text: string
	usage: Usage
	model: string
}

export interface AgentRunner {
	runTurn(input: TurnInput, io: TurnIO): Promise<TurnResult>
	/** Summarises older messages for compaction. */
	summarize(messages: TurnMessage[], signal: AbortSignal): Promise<string>
}

/** A failure of the model layer, with the provider's HTTP status when there is one. */
export class ModelError extends Error {
	override readonly name = 'ModelError'
	readonly code: string
	readonly status: number | undefined
	constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
		super(message, { cause: options.cause })
		this.code = code
		this.status = options.status
	}
}

export const textOf = (message: TurnMessage): string => message.content.map((p) => p.text).join('')

/** Rough token estimate (4 characters per token), the same everywhere a budget is checked. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)
