// A destructive action in two steps — the button, then "Confirm …" or "Cancel" — instead of
// window.confirm, which blocks the page and which keyboard users and test browsers handle badly.
import { useEffect, useRef, useState } from 'preact/hooks'

export function ConfirmButton(props: {
	label: string
	/** Defaults to "Confirm <label in lower case>", e.g. "Confirm delete". */
	confirmLabel?: string
	onConfirm: () => unknown
	disabled?: boolean
	/** Id of the element naming what the action applies to (e.g. the row's key cell). */
	describedBy?: string
}) {
	const [armed, setArmed] = useState(false)
	const confirm = useRef<HTMLButtonElement>(null)
	const start = useRef<HTMLButtonElement>(null)
	const wasArmed = useRef(false)
	useEffect(() => {
		// Focus follows the step, so a keyboard user never lands on a button that went away.
		if (armed) confirm.current?.focus()
		else if (wasArmed.current) start.current?.focus()
		wasArmed.current = armed
	}, [armed])
	if (!armed) {
		return (
			<button
				ref={start}
				type="button"
				class="danger"
				disabled={props.disabled}
				aria-describedby={props.describedBy}
				onClick={() => setArmed(true)}
			>
				{props.label}
			</button>
		)
	}
	return (
		<span class="confirm-step">
			<button
				ref={confirm}
				type="button"
				class="danger"
				aria-describedby={props.describedBy}
				onClick={() => {
					setArmed(false)
					void props.onConfirm()
				}}
			>
				{props.confirmLabel ?? `Confirm ${props.label.toLowerCase()}`}
			</button>
			<button type="button" onClick={() => setArmed(false)}>
				Cancel
			</button>
		</span>
	)
}
