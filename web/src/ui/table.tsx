// A data table as every console page shows one: scrolling sideways on a phone (`.table-wrap`),
// column headers, an optional caption; and the states around data still on its way.
import type { ComponentChildren } from 'preact'
import { ErrorNotice, type Resource } from './kit'

export function Table(props: {
	/** Column headers; `false` leaves a column out (one the principal may not use). */
	columns: readonly (string | false)[]
	caption?: string
	children: ComponentChildren
}) {
	return (
		<div class="table-wrap">
			<table>
				{props.caption && <caption>{props.caption}</caption>}
				<thead>
					<tr>
						{props.columns.filter(Boolean).map((c) => (
							<th key={c} scope="col">
								{c}
							</th>
						))}
					</tr>
				</thead>
				<tbody>{props.children}</tbody>
			</table>
		</div>
	)
}

/** A resource's error, "Loading…" until its first answer, then `empty` when there is nothing. */
export function ResourceStatus(props: { resource: Resource<unknown>; empty?: string | false }) {
	const { resource } = props
	return (
		<>
			<ErrorNotice error={resource.error} />
			{resource.loading && resource.data === undefined && <p role="status">Loading…</p>}
			{props.empty && resource.data !== undefined && <p class="muted">{props.empty}</p>}
		</>
	)
}
