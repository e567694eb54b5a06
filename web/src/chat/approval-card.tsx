// An approval inline in the transcript: what the tool wants to do, and — for those allowed to
// decide — allow once, allow always (this tool, this session, until a reset) or deny. The
// server's refusal (e.g. approval_self_denied: a principal of the call may not allow it) is shown.
import { useLayoutEffect, useRef } from 'preact/hooks'
import { useAction } from '../ui/action'
import { ErrorNotice, Time } from '../ui/kit'
import type { ApprovalCard } from './approvals'
import type { ApprovalChoice } from './types'

const CHOICES: { choice: ApprovalChoice; label: string; className?: string }[] = [
	{ choice: 'allow-once', label: 'Allow once', className: 'primary' },
	{ choice: 'allow-always', label: 'Allow always' },
	{ choice: 'deny', label: 'Deny', className: 'danger' },
]

export function outcomeOf(card: ApprovalCard): string {
	const by = card.decidedBy ? ` by ${card.decidedBy}` : ''
	if (card.status === 'denied') return `Denied${by}`
	if (card.status === 'expired') return 'Expired: nobody decided in time'
	if (card.status === 'allowed') {
		const how =
			card.decision === 'allow-always' ? ' always' : card.decision === 'allow-once' ? ' once' : ''
		return `Allowed${how}${by}`
	}
	return 'Waiting for a decision'
}

export function ApprovalCardView(props: {
	card: ApprovalCard
	/** Absent when the signed-in principal may not decide approvals. */
	onDecide?: (choice: ApprovalChoice) => Promise<void>
}) {
	const { card, onDecide } = props
	const decide = useAction()
	const pending = card.status === 'pending'
	const { outcome, trackFocus } = useFocusToOutcome(pending)
	return (
		<fieldset
			{...trackFocus}
			aria-label={pending ? `Approval: ${card.tool}` : `Approval decided: ${card.tool}`}
			class={`approval ${card.status}`}
		>
			<p class="approval-head">
				<strong>{card.tool}</strong> {pending ? 'needs approval' : '—'}{' '}
				{!pending && (
					<span ref={outcome} class="approval-outcome" tabIndex={-1}>
						{outcomeOf(card)}
					</span>
				)}
			</p>
			{card.args && card.args !== 'null' && <pre class="tool-text">{card.args}</pre>}
			{pending && card.deadlineAt !== null && (
				<p class="muted">
					Expires <Time at={card.deadlineAt} />
				</p>
			)}
			{pending &&
				(onDecide ? (
					<div class="approval-actions">
						{CHOICES.map((c) => (
							<button
								key={c.choice}
								type="button"
								class={c.className}
								disabled={decide.busy}
								onClick={() => void decide.run(async () => onDecide?.(c.choice))}
							>
								{c.label}
							</button>
						))}
					</div>
				) : (
					<p class="muted">Someone allowed to approve tool calls must decide.</p>
				))}
			<ErrorNotice error={decide.error} />
		</fieldset>
	)
}

/**
 * Once the card is decided its buttons go; a keyboard user who was in the card lands on the
 * outcome instead of the top of the page. Focus counts as inside until it moves to an element
 * outside (removing the focused button moves it nowhere).
 */
function useFocusToOutcome(pending: boolean) {
	const outcome = useRef<HTMLSpanElement>(null)
	const inside = useRef(false)
	const wasPending = useRef(pending)
	useLayoutEffect(() => {
		const decided = wasPending.current && !pending
		wasPending.current = pending
		const card = outcome.current?.closest('fieldset')
		const active = document.activeElement
		const lost = !active || active === document.body || (card?.contains(active) ?? false)
		if (decided && inside.current && lost) outcome.current?.focus()
	}, [pending])
	const trackFocus = {
		onFocusIn: () => {
			inside.current = true
		},
		onFocusOut: (e: FocusEvent) => {
			const to = e.relatedTarget
			if (to instanceof Node && !(e.currentTarget as Element).contains(to)) inside.current = false
		},
	}
	return { outcome, trackFocus }
}
