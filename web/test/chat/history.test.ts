// Paging the stored transcript with the gateway's forward-only cursor: the newest window first,
// then each earlier window in one request with its own cursor, none missed and none repeated.
import { describe, expect, it } from 'vitest'
import { type FetchPage, loadAfter, loadTail, windowsBefore } from '../../src/chat/history'
import type { MessageView } from '../../src/chat/types'

/** A transcript with gaps in its seqs (a reset or pruning leaves them), paged like the lane. */
function transcript(count: number) {
	const messages: MessageView[] = Array.from({ length: count }, (_, i) => ({
		seq: 3 * i + 7,
		id: `m${i}`,
		runId: null,
		role: 'user',
		kind: 'message',
		content: [{ type: 'text', text: `#${i}` }],
		tokens: 1,
		compacted: false,
		createdAt: i,
	}))
	const calls: { after: number; limit: number }[] = []
	const fetchPage: FetchPage = async (after, limit) => {
		calls.push({ after, limit })
		const rest = messages.filter((m) => m.seq > after)
		const page = rest.slice(0, limit)
		return { messages: page, next: rest.length > limit ? (page.at(-1)?.seq ?? null) : null }
	}
	return { messages, calls, fetchPage }
}

const ids = (messages: MessageView[]) => messages.map((m) => m.id)

describe('loadTail', () => {
	it('loads a short transcript whole in one request, with nothing earlier', async () => {
		const t = transcript(30)
		const tail = await loadTail(t.fetchPage, 50)
		expect(ids(tail.messages)).toEqual(ids(t.messages))
		expect(tail.earlier).toEqual([])
		expect(t.calls).toHaveLength(1)
	})

	it('walks a long transcript in the largest pages and keeps the newest window', async () => {
		const t = transcript(1_234)
		const tail = await loadTail(t.fetchPage, 50)
		expect(t.calls.map((c) => c.limit)).toEqual([500, 500, 500])
		expect(ids(tail.messages)).toEqual(ids(t.messages.slice(-50)))
		expect(tail.earlier).toHaveLength(Math.ceil((1_234 - 50) / 50))
	})

	it('gives cursors that fetch every earlier window exactly once, newest first', async () => {
		const t = transcript(137)
		const tail = await loadTail(t.fetchPage, 50)
		const shown = [...tail.messages]
		const cursors = [...tail.earlier]
		for (let cursor = cursors.pop(); cursor; cursor = cursors.pop()) {
			const page = await t.fetchPage(cursor.after, cursor.limit)
			expect(page.messages.at(-1)?.seq).toBeLessThan(shown[0]?.seq ?? 0)
			shown.unshift(...page.messages)
		}
		expect(ids(shown)).toEqual(ids(t.messages))
	})
})

describe('windowsBefore', () => {
	it('counts windows back from the end; the first may be short', () => {
		const seqs = [2, 4, 6, 8, 10, 12, 14]
		expect(windowsBefore(seqs, 5, 2)).toEqual([
			{ after: 0, limit: 1 },
			{ after: 2, limit: 2 },
			{ after: 6, limit: 2 },
		])
		expect(windowsBefore(seqs, 0, 2)).toEqual([])
	})
})

describe('loadAfter', () => {
	it('fetches everything after a seq, over as many pages as it takes', async () => {
		const t = transcript(1_100)
		const after = t.messages[99]?.seq ?? 0
		const rest = await loadAfter(t.fetchPage, after)
		expect(ids(rest)).toEqual(ids(t.messages.slice(100)))
		expect(t.calls.map((c) => c.after)).toEqual([after, t.messages[599]?.seq])
	})
})
