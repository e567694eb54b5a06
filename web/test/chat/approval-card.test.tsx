// An approval card once decided: its buttons go, and a keyboard user who was in the card lands on
// the outcome (not the top of the page); focus elsewhere is left alone.
import { render } from 'preact'
import { useState } from 'preact/hooks'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApprovalCardView } from '../../src/chat/approval-card'
import type { ApprovalCard } from '../../src/chat/approvals'

const pending: ApprovalCard = {
	id: 'a1',
	runId: 'r1',
	callId: 'c1',
	tool: 'exec',
	args: '{}',
	status: 'pending',
	decision: null,
	decidedBy: null,
	deadlineAt: null,
}

/** The card as the transcript holds it: deciding changes its state (as the reducer does). */
function Decidable() {
	const [card, setCard] = useState(pending)
	return (
		<ApprovalCardView
			card={card}
			onDecide={async (choice) => {
				setCard({ ...card, status: 'allowed', decision: choice, decidedBy: 'key:k1' })
			}}
		/>
	)
}

let root: HTMLElement
const button = (name: string) =>
	[...root.querySelectorAll('button')].find((b) => b.textContent === name) as HTMLButtonElement
const outcome = () => root.querySelector('.approval-outcome')

beforeEach(() => {
	root = document.createElement('div')
	document.body.append(root)
})
afterEach(() => {
	render(null, root)
	root.remove()
})

describe('ApprovalCardView focus', () => {
	it('moves focus to the outcome when it was on the button pressed', async () => {
		render(<Decidable />, root)
		button('Allow once').focus()
		button('Allow once').click()
		await vi.waitFor(() => expect(outcome()?.textContent).toBe('Allowed once by key:k1'))
		await vi.waitFor(() => expect(document.activeElement).toBe(outcome()))
		expect(outcome()?.getAttribute('tabindex')).toBe('-1')
	})

	it('leaves focus alone when it is outside the card', async () => {
		const elsewhere = document.createElement('input')
		document.body.append(elsewhere)
		render(<Decidable />, root)
		button('Deny').focus()
		elsewhere.focus()
		button('Deny').click()
		await vi.waitFor(() => expect(outcome()).not.toBeNull())
		expect(document.activeElement).toBe(elsewhere)
		elsewhere.remove()
	})
})
