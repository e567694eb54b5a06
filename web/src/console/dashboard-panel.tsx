// The pieces every Dashboard panel is built of: a titled section (its <h2> names it) that shows
// its resources' errors and loading state, a row of headline numbers, and the empty state a panel
// shows instead of a chart when the window holds nothing to draw.
import type { ComponentChildren } from 'preact'
import type { Resource } from '../ui/kit'
import { ResourceStatus } from '../ui/table'

/** The window every panel describes: its label ("last 24 hours") and length. */
export interface ChartWindow {
	label: string
	ms: number
}

export function Panel(props: {
	id: string
	title: string
	/** What the panel reads: each one's error, or "Loading…" until its first answer. */
	resources: readonly Resource<unknown>[]
	children?: ComponentChildren
}) {
	const titleId = `${props.id}-title`
	return (
		<section class="panel" aria-labelledby={titleId}>
			<h2 id={titleId}>{props.title}</h2>
			{props.resources.map((resource, i) => (
				<ResourceStatus key={i} resource={resource} />
			))}
			{props.children}
		</section>
	)
}

/** Headline numbers, each a term and its value. */
export function Stats({ items }: { items: readonly [string, ComponentChildren][] }) {
	return (
		<dl class="stats">
			{items.map(([term, value]) => (
				<div key={term}>
					<dt>{term}</dt>
					<dd>{value}</dd>
				</div>
			))}
		</dl>
	)
}

export function Empty({ children }: { children: ComponentChildren }) {
	return <p class="muted empty-state">{children}</p>
}
