// Answering a platform that never retries a late answer (Discord's 3 s): by the deadline the
// platform hears "accepted", and the taking goes on in the background.
import type { InboundOutcome } from '../../channels/plugin'

/**
 * `taking`'s outcome, or — when `deadlineMs` passes first — `accepted` with no run id, after
 * handing the still-running `taking` to `onLate` (to keep it alive and log its failure).
 * Without a deadline it is just `taking`.
 */
export async function answerBy(
	deadlineMs: number | undefined,
	taking: Promise<InboundOutcome>,
	onLate: (taking: Promise<InboundOutcome>) => void,
): Promise<InboundOutcome> {
	if (deadlineMs === undefined) return taking
	let timer: ReturnType<typeof setTimeout> | undefined
	const late = new Promise<'late'>((resolve) => {
		timer = setTimeout(() => resolve('late'), deadlineMs)
	})
	try {
		const first = await Promise.race([taking, late])
		if (first !== 'late') return first
	} finally {
		if (timer !== undefined) clearTimeout(timer)
	}
	onLate(taking)
	return { kind: 'accepted', runId: null, duplicate: false }
}
