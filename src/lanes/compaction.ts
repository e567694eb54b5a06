// Compaction: when a session's active transcript outgrows the agent's context budget or message
// cap, older messages are folded into one summary message. Originals stay in storage (marked
// compacted) for export until their retention ends. Pure functions; the lane does the I/O.
import type { TurnMessage } from '../agents/runner'
import { trimHeadTail } from '../agents/text'
import type { MessageView } from './types'

export interface CompactionLimits {
	contextBudgetTokens: number
	maxMessages: number
}

export interface CompactionPlan {
	/** Messages to fold into the summary, oldest first (an earlier summary included). */
	fold: MessageView[]
	/** Every active message with seq ≤ this becomes compacted. */
	upToSeq: number
	/** Tokens kept active after compaction (before the summary is added). */
	keptTokens: number
}

/**
 * Decides whether the transcript must be compacted before a turn that adds `incoming` messages of
 * `incomingTokens`. Keeps the newest messages that fit in half the budget (and half the message
 * cap) and folds the rest; returns null when everything fits or nothing can be folded.
 */
export function planCompaction(
	active: readonly MessageView[],
	incoming: { messages: number; tokens: number },
	limits: CompactionLimits,
): CompactionPlan | null {
	const total = active.reduce((n, m) => n + m.tokens, 0) + incoming.tokens
	const count = active.length + incoming.messages
	if (total <= limits.contextBudgetTokens && count <= limits.maxMessages) return null

	const tokenRoom = Math.floor(limits.contextBudgetTokens / 2) - incoming.tokens
	const countRoom = Math.floor(limits.maxMessages / 2) - incoming.messages
	const regular = active.filter((m) => m.kind !== 'summary')
	let keptTokens = 0
	let keep = 0
	for (let i = regular.length - 1; i >= 0; i--) {
		const m = regular[i] as MessageView
		if (keep + 1 > countRoom || keptTokens + m.tokens > tokenRoom) break
		keptTokens += m.tokens
		keep++
	}
	const foldRegular = regular.slice(0, regular.length - keep)
	if (foldRegular.length === 0) return null
	const summaries = active.filter((m) => m.kind === 'summary')
	const last = foldRegular[foldRegular.length - 1] as MessageView
	return { fold: [...summaries, ...foldRegular], upToSeq: last.seq, keptTokens }
}

/** The model's view of stored messages: tool results trimmed head+tail, the rest as stored. */
export function toTurnMessages(
	messages: readonly MessageView[],
	toolResultMaxChars: number,
): TurnMessage[] {
	return messages.map((m) => ({
		role: m.kind === 'summary' ? 'system' : m.role,
		content:
			m.role === 'tool'
				? m.content.map((p) =>
						p.type === 'tool-result'
							? { ...p, result: trimHeadTail(p.result, toolResultMaxChars) }
							: p,
					)
				: m.content,
	}))
}
