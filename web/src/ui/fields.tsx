// The pieces of a form that saves JSON to the API: one-line fields and a JSON textarea, each with
// the server's validation errors for it listed below and linked to it (`aria-describedby`), and
// the problem's summary without the field list (the fields show their own errors).
import type { ComponentChildren } from 'preact'
import { ApiError, type FieldError } from '../api'

export function FieldErrors({ id, errors }: { id: string; errors: readonly FieldError[] }) {
	if (errors.length === 0) return null
	return (
		<ul id={id} class="field-errors">
			{errors.map((e) => (
				<li key={`${e.path}:${e.message}`}>
					<code>{e.path}</code> {e.message}
				</li>
			))}
		</ul>
	)
}

/** A required one-line field, with the server's errors for it listed below and linked to it. */
export function TextField(props: {
	id: string
	label: string
	value: string
	readOnly?: boolean
	errors: readonly FieldError[]
	onInput: (value: string) => void
}) {
	const errorsId = `${props.id}-errors`
	return (
		<div class="field">
			<label for={props.id}>{props.label}</label>
			<input
				id={props.id}
				required
				readOnly={props.readOnly}
				value={props.value}
				aria-invalid={props.errors.length > 0}
				aria-describedby={props.errors.length > 0 ? errorsId : undefined}
				onInput={(e) => props.onInput(e.currentTarget.value)}
			/>
			<FieldErrors id={errorsId} errors={props.errors} />
		</div>
	)
}

/** The problem without its field list (the fields show their own errors next to them). */
export const summaryOf = (error: unknown): unknown =>
	error instanceof ApiError
		? new ApiError(error.status, error.code, error.detail, error.requestId, [], error.body)
		: error

/** The server's field errors by the form field their path starts with; the rest under `other`. */
export function errorsAt<F extends string>(
	errors: readonly FieldError[],
	fields: readonly F[],
): Record<F | 'other', FieldError[]> {
	const out = { other: [] } as unknown as Record<F | 'other', FieldError[]>
	for (const field of fields) out[field] = []
	for (const error of errors) {
		const head = error.path.split('.')[0] as F
		out[fields.includes(head) ? head : 'other'].push(error)
	}
	return out
}

const describe = (...ids: (string | false)[]) => ids.filter(Boolean).join(' ') || undefined

/**
 * A JSON object typed in a textarea (labelled "Config (JSON)"): a parse mistake shows as it is
 * typed (`#<id>-json`), the server's errors for it (`#<id>-errors`) and those naming no field of
 * the form (`#<otherId>`) below it.
 */
export function JsonField(props: {
	id: string
	otherId: string
	text: string
	parsed: { ok: true } | { ok: false; message: string }
	errors: readonly FieldError[]
	otherErrors: readonly FieldError[]
	readOnly?: boolean
	rows?: number
	onInput: (text: string) => void
}) {
	const { id, parsed } = props
	return (
		<div class="field">
			<label for={id}>Config (JSON)</label>
			<textarea
				id={id}
				class="code-input"
				rows={props.rows ?? 18}
				spellcheck={false}
				readOnly={props.readOnly}
				value={props.text}
				aria-invalid={!parsed.ok || props.errors.length > 0}
				aria-describedby={describe(
					!parsed.ok && `${id}-json`,
					props.errors.length > 0 && `${id}-errors`,
				)}
				onInput={(e) => props.onInput(e.currentTarget.value)}
			/>
			<div aria-live="polite">
				{!parsed.ok && (
					<p id={`${id}-json`} class="error">
						Not valid JSON: {parsed.message}
					</p>
				)}
			</div>
			<FieldErrors id={`${id}-errors`} errors={props.errors} />
			<FieldErrors id={props.otherId} errors={props.otherErrors} />
		</div>
	)
}

/** A form's buttons: submit (left out when read-only), any extra ones, then Cancel when offered. */
export function FormActions(props: {
	submit: string | false
	disabled: boolean
	onCancel?: () => void
	children?: ComponentChildren
}) {
	return (
		<div class="form-actions">
			{props.submit && (
				<button type="submit" disabled={props.disabled}>
					{props.submit}
				</button>
			)}
			{props.children}
			{props.onCancel && (
				<button type="button" onClick={props.onCancel}>
					Cancel
				</button>
			)}
		</div>
	)
}
