// Messages the user sent that the stored transcript does not show yet, and when one is shown: a
// stored user message of the run that carries it (by the gateway's run ids, following a steer the
// run never took into the run it was requeued as), each stored message settling one at most.
import type { MessageView, QueueMode, SubmitResult } from './types'

export interface OutgoingMessage {
	localId: string
	text: string
	mode: QueueMode
	/** Sent again on a retry, so the gateway answers with the first run instead of a second. */
	idempotencyKey: string
	/** The run that carries it (for a steer the run never took: the run it was requeued as). */
	runId: string | null
	/** A steer: the run it was steered into, which stores it if it takes it in time. */
	steeredInto?: string
	state: 'sending' | 'sent' | 'failed'
	error: unknown
}

export const textOf = (m: MessageView): string =>
	m.content.map((p) => (p.type === 'text' ? p.text : '')).join('')

/** The gateway took the message: the run that carries it, and whether it was steered into it. */
export function accepted(
	message: OutgoingMessage,
	runId: string,
	disposition: SubmitResult['disposition'],
	requeued: Readonly<Record<string, string>>,
): OutgoingMessage {
	const sent = { ...message, state: 'sent' as const, runId, error: null }
	if (disposition !== 'steered') return sent
	// The run may have ended (and requeued the steer) before the answer to the POST came back.
	return { ...sent, steeredInto: runId, runId: requeued[runId] ?? runId }
}

/** `queued` with `steeredFrom`: the steers `from` never took now wait in run `to`. */
export function requeue(outgoing: OutgoingMessage[], from: string, to: string): OutgoingMessage[] {
	return outgoing.map((o) => (o.steeredInto === from && o.runId === from ? { ...o, runId: to } : o))
}

/** What stays in the outbox once the stored transcript is `history`. */
export function unsettled(outgoing: OutgoingMessage[], history: MessageView[]): OutgoingMessage[] {
	const claimed = new Set<string>()
	const settled = (o: OutgoingMessage) => {
		if (o.state !== 'sent') return false
		const runs = [o.runId, o.steeredInto]
		const match = history.find(
			(m) =>
				m.role === 'user' &&
				!claimed.has(m.id) &&
				runs.includes(m.runId ?? undefined) &&
				textOf(m) === o.text,
		)
		if (match) claimed.add(match.id)
		return match !== undefined
	}
	const left = outgoing.filter((o) => !settled(o))
	return left.length === outgoing.length ? outgoing : left
}
