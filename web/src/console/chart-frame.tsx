// What every hand-drawn chart of the console shares: the `<svg role="img">` named by the chart's
// text summary and scaled to its box, and the value axis's grid lines with their labels.
import type { ComponentChildren } from 'preact'
import { compactNumber } from './format'

export function ChartSvg(props: {
	/** The text summary: the chart's accessible name. */
	label: string
	width: number
	height: number
	children: ComponentChildren
}) {
	return (
		<svg
			role="img"
			aria-label={props.label}
			viewBox={`0 0 ${props.width} ${props.height}`}
			preserveAspectRatio="xMidYMid meet"
		>
			{props.children}
		</svg>
	)
}

/** A grid line across the plot at each tick, labelled left of the plot. */
export function ValueGrid(props: {
	ticks: readonly number[]
	y: (value: number) => number
	left: number
	right: number
}) {
	return (
		<>
			{props.ticks.map((tick) => (
				<g key={tick}>
					<line
						class="grid"
						x1={props.left}
						x2={props.right}
						y1={props.y(tick)}
						y2={props.y(tick)}
					/>
					<text class="tick-label" x={props.left - 6} y={props.y(tick)}>
						{compactNumber(tick)}
					</text>
				</g>
			))}
		</>
	)
}
