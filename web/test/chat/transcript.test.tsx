// The transcript's scrolling: "Load earlier" puts older messages above without moving the ones
// being read (happy-dom has no layout, so each message is given a height); a run's trace link.
import { render } from 'preact'
import { useState } from 'preact/hooks'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Transcript } from '../../src/chat/transcript'
import type { TranscriptItem } from '../../src/chat/transcript-view'

const ROW_PX = 100
const user = (seq: number): TranscriptItem => ({
	kind: 'user',
	key: `h${seq}`,
	text: `message ${seq}`,
	compacted: false,
})
const range = (from: number, to: number) =>
	Array.from({ length: to - from + 1 }, (_, i) => user(from + i))

function Paged() {
	const [items, setItems] = useState(range(11, 15))
	return (
		<Transcript
			items={items}
			hasEarlier={items.length < 10}
			onLoadEarlier={async () => setItems([...range(6, 10), ...items])}
			onDismiss={() => {}}
		/>
	)
}

let root: HTMLElement
beforeEach(() => {
	root = document.createElement('div')
	document.body.append(root)
	// Every child of the log takes ROW_PX: the log's scroll height follows what it holds.
	vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockImplementation(function (
		this: HTMLElement,
	) {
		return this.getAttribute('role') === 'log' ? this.children.length * ROW_PX : 0
	})
})
afterEach(() => {
	render(null, root)
	root.remove()
	vi.restoreAllMocks()
})

describe('Transcript', () => {
	it('keeps the reading position when older messages load above', async () => {
		render(<Paged />, root)
		const log = root.querySelector('[role="log"]') as HTMLElement
		log.scrollTop = 250
		log.dispatchEvent(new Event('scroll'))
		const button = [...root.querySelectorAll('button')].find(
			(b) => b.textContent === 'Load earlier',
		)
		button?.click()
		await vi.waitFor(() => expect(log.textContent).toContain('message 6'))
		// Five messages went in above (and the button left): message 11 is where it was.
		expect(log.scrollTop).toBe(250 + 5 * ROW_PX - ROW_PX)
	})

	it("links a run's last answer to its trace, only when given where traces are", () => {
		const answer = (endsRun: boolean): TranscriptItem => ({
			kind: 'assistant',
			key: `a-${endsRun}`,
			text: endsRun ? 'done' : 'thinking',
			compacted: false,
			streaming: false,
			runId: 'r1',
			...(endsRun && { endsRun: true as const }),
		})
		const items = [answer(false), answer(true)]
		const show = (traceHref?: (runId: string) => string) =>
			render(
				<Transcript
					items={items}
					hasEarlier={false}
					onLoadEarlier={async () => {}}
					onDismiss={() => {}}
					traceHref={traceHref}
				/>,
				root,
			)
		show((run) => `/trace?run=${run}`)
		const links = [...root.querySelectorAll('a')].filter((a) => a.textContent === 'Run trace')
		expect(links.map((a) => a.getAttribute('href'))).toEqual(['/trace?run=r1'])
		show()
		expect(root.querySelectorAll('a')).toHaveLength(0)
	})
})
