// Client tools in an agent turn: the functions a client defines and runs itself (OpenAI's `tools`)
// are offered to the model beside the agent's own, under names the agent's tools do not use; a
// call to one ends the turn and goes back to the client. A call nobody answered — a client that
// moved on without sending its result — gets a result saying so, since providers refuse a prompt
// whose tool call has no result.
import type { LanguageModelV4FunctionTool } from '@ai-sdk/provider'
import type { ClientTool, RunOptions, ToolCallPart, TurnMessage } from './runner'

/** The result a tool call gets when nobody answered it. */
export const NO_RESULT = 'No result: the call was never answered.'

/** A client tool named like one of the agent's tools: the run cannot tell them apart. */
export class ToolNameConflict extends Error {
	override readonly name = 'ToolNameConflict'
	readonly code = 'tool_name_conflict'
	constructor(tool: string) {
		super(
			`The client tool "${tool}" has the name of one of the agent's own tools; rename the client tool.`,
		)
	}
}

/**
 * The client tools this turn offers: none when the tool choice is `none`. A name the agent's own
 * tools use is refused (the agent's tool runs under policy here; a client's must never stand in
 * for it, nor the other way round).
 */
export function clientToolsOf(
	options: RunOptions,
	agentTools: readonly { name: string }[],
): ClientTool[] {
	if (options.toolChoice === 'none') return []
	const tools = options.clientTools ?? []
	if (tools.length === 0) return tools
	const own = new Set(agentTools.map((t) => t.name))
	const clash = tools.find((t) => own.has(t.name))
	if (clash) throw new ToolNameConflict(clash.name)
	return tools
}

/** A client tool as the model sees it. */
export const clientToolDefinition = (tool: ClientTool): LanguageModelV4FunctionTool => ({
	type: 'function',
	name: tool.name,
	...(tool.description !== undefined && { description: tool.description }),
	inputSchema: tool.parameters as LanguageModelV4FunctionTool['inputSchema'],
	...(tool.strict !== undefined && { strict: tool.strict }),
})

/**
 * The conversation with every tool call answered: a call whose result never came gets an error
 * result right after the tool results that did (or after its assistant message).
 */
export function answerOpenCalls(messages: readonly TurnMessage[]): TurnMessage[] {
	const out: TurnMessage[] = []
	let open: ToolCallPart[] = []
	const close = () => {
		if (open.length === 0) return
		out.push({
			role: 'tool',
			content: open.map((c) => ({
				type: 'tool-result',
				callId: c.callId,
				name: c.name,
				result: NO_RESULT,
				isError: true,
			})),
		})
		open = []
	}
	for (const m of messages) {
		if (m.role === 'tool') {
			const answered = new Set(
				m.content.flatMap((p) => (p.type === 'tool-result' ? [p.callId] : [])),
			)
			open = open.filter((c) => !answered.has(c.callId))
			out.push(m)
			continue
		}
		close()
		out.push(m)
		if (m.role === 'assistant') {
			open = m.content.filter((p): p is ToolCallPart => p.type === 'tool-call')
		}
	}
	close()
	return out
}
