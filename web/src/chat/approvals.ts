// Approval cards: one per elevated tool call waiting for a human, built from the session's
// approval events and from the gateway's approval views (the list at load, a decision's answer).
import type { ApprovalChoice, ApprovalStatus, ApprovalView } from './types'

export interface ApprovalCard {
	id: string
	runId: string | null
	callId: string
	tool: string
	/** The arguments as display text (the event carries a JSON preview). */
	args: string
	status: ApprovalStatus
	decision: ApprovalChoice | 'expired' | null
	decidedBy: string | null
	deadlineAt: number | null
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '')
const argsText = (args: unknown): string =>
	typeof args === 'string' ? args : JSON.stringify(args ?? null)

/** `approval.requested` data: `{approvalId, callId, tool, sideEffect, args, principals, deadline}`. */
export function requestedCard(runId: string | null, d: Record<string, unknown>): ApprovalCard {
	return {
		id: str(d.approvalId),
		runId,
		callId: str(d.callId),
		tool: str(d.tool),
		args: argsText(d.args),
		status: 'pending',
		decision: null,
		decidedBy: null,
		deadlineAt: typeof d.deadline === 'number' ? d.deadline : null,
	}
}

/** Adds a requested card; a card already decided (the POST answered first) stays decided. */
export function addRequested(cards: ApprovalCard[], card: ApprovalCard): ApprovalCard[] {
	if (!card.id) return cards
	const known = cards.find((a) => a.id === card.id)
	if (!known) return [...cards, card]
	return known.status === 'pending'
		? cards.map((a) => (a === known ? { ...known, ...card } : a))
		: cards
}

const DECISIONS = ['allow-once', 'allow-always', 'deny', 'expired'] as const

/** `approval.resolved` data: `{approvalId, decision, by?}`; unknown approvals are ignored. */
export function resolve(cards: ApprovalCard[], d: Record<string, unknown>): ApprovalCard[] {
	const id = str(d.approvalId)
	const decision = DECISIONS.find((x) => x === d.decision) ?? null
	const status: ApprovalStatus =
		decision === 'deny' ? 'denied' : decision === 'expired' ? 'expired' : 'allowed'
	const by = str(d.by) || null
	return cards.map((a) =>
		a.id === id
			? { ...a, status, decision: decision ?? a.decision, decidedBy: by ?? a.decidedBy }
			: a,
	)
}

/** A server view into its card; a pending view never undoes a decision already shown. */
export function fromView(
	cards: ApprovalCard[],
	view: ApprovalView,
	choice?: ApprovalChoice,
): ApprovalCard[] {
	const known = cards.find((a) => a.id === view.id)
	const card: ApprovalCard = {
		id: view.id,
		runId: view.runId,
		callId: view.callId,
		tool: view.tool,
		args: argsText(view.args),
		status: view.status,
		decision:
			choice ??
			known?.decision ??
			(view.status === 'denied' ? 'deny' : view.status === 'expired' ? 'expired' : null),
		decidedBy: view.decidedBy,
		deadlineAt: view.deadlineAt,
	}
	if (!known) return [...cards, card]
	if (view.status === 'pending' && known.status !== 'pending') return cards
	return cards.map((a) => (a === known ? card : a))
}
