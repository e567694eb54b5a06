// The row of filters above a list: the fields a person edits, applied together by one submit
// button (so a half-typed value does not fetch on every keystroke).
import type { ComponentChildren } from 'preact'

export function Filters(props: {
	/** The form's accessible name. */
	label: string
	/** The submit button's text. */
	apply: string
	onApply: () => void
	children: ComponentChildren
}) {
	return (
		<form
			class="filters"
			aria-label={props.label}
			onSubmit={(e) => {
				e.preventDefault()
				props.onApply()
			}}
		>
			{props.children}
			<button type="submit">{props.apply}</button>
		</form>
	)
}
