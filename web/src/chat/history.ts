// The stored transcript, paged. The gateway pages forward only (`?after=<seq>` → `next`), so the
// newest window is found by walking forward in the largest pages it allows, keeping just the seqs
// on the way; each earlier window is then one request with its own cursor ("Load earlier").
import type { MessagePage, MessageView } from './types'

/** One window of the transcript: the messages after `after`, `limit` of them. */
export interface PageCursor {
	after: number
	limit: number
}

export type FetchPage = (after: number, limit: number) => Promise<MessagePage>

/** Messages shown at first, and added by each "Load earlier". */
export const WINDOW = 50
/** The gateway's largest page. */
const WALK_PAGE = 500

/** The newest `window` messages and the cursors of the windows before them (nearest last). */
export async function loadTail(
	fetchPage: FetchPage,
	window = WINDOW,
): Promise<{ messages: MessageView[]; earlier: PageCursor[] }> {
	const seqs: number[] = []
	let tail: MessageView[] = []
	let after = 0
	for (;;) {
		const page = await fetchPage(after, WALK_PAGE)
		for (const m of page.messages) seqs.push(m.seq)
		tail = [...tail, ...page.messages].slice(-window)
		if (page.next === null || page.messages.length === 0) break
		after = page.next
	}
	return { messages: tail, earlier: windowsBefore(seqs, seqs.length - tail.length, window) }
}

/**
 * Cursors for the windows of `seqs[0 … end)`, `window` messages each counted back from `end`;
 * the nearest window is last, so "Load earlier" pops it.
 */
export function windowsBefore(seqs: readonly number[], end: number, window: number): PageCursor[] {
	const cursors: PageCursor[] = []
	for (let stop = end; stop > 0; stop -= window) {
		const start = Math.max(0, stop - window)
		cursors.push({ after: start === 0 ? 0 : (seqs[start - 1] ?? 0), limit: stop - start })
	}
	return cursors.reverse()
}

/** Everything stored after `after` (the catch-up once a run changed the transcript). */
export async function loadAfter(fetchPage: FetchPage, after: number): Promise<MessageView[]> {
	const messages: MessageView[] = []
	let cursor = after
	for (;;) {
		const page = await fetchPage(cursor, WALK_PAGE)
		messages.push(...page.messages)
		if (page.next === null || page.messages.length === 0) return messages
		cursor = page.next
	}
}
