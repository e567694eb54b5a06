// Tokens per day as a stacked bar chart drawn by hand in SVG (no chart library: the bundle stays
// small), with a legend and a dashed line at the tenant's daily budget. Colours come from CSS
// classes (the CSP allows no inline style); the table beside it carries the same numbers in text.
import { ChartSvg, ValueGrid } from './chart-frame'
import { compactNumber, formatCount } from './format'
import { labelEvery, niceScale, type StackedUsage } from './usage-model'

const WIDTH = 720
const HEIGHT = 280
const MARGIN = { top: 16, right: 16, bottom: 36, left: 56 }
/** As many colours as series (stackUsage folds the rest into "other"). */
export const PALETTE_SIZE = 8

export function chartLabel(stacked: StackedUsage, budget: number | null): string {
	const first = stacked.days[0]?.day
	const last = stacked.days.at(-1)?.day
	const range = first && last ? `, ${first} to ${last}` : ''
	const busiest = Math.max(0, ...stacked.days.map((d) => d.total))
	const budgetText = budget !== null ? `; daily budget ${formatCount(budget)}` : ''
	return `Tokens per day by agent and model${range}; busiest day ${formatCount(busiest)} tokens${budgetText}`
}

export function UsageChart({ stacked, budget }: { stacked: StackedUsage; budget: number | null }) {
	const { days, series } = stacked
	const busiest = Math.max(0, ...days.map((d) => d.total))
	const scale = niceScale(Math.max(busiest, budget ?? 0))
	const plotWidth = WIDTH - MARGIN.left - MARGIN.right
	const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
	const y = (tokens: number) => MARGIN.top + plotHeight * (1 - tokens / scale.top)
	const band = plotWidth / Math.max(1, days.length)
	const barWidth = Math.max(1, band * 0.7)
	const every = labelEvery(days.length)
	return (
		<figure class="chart">
			<ChartSvg label={chartLabel(stacked, budget)} width={WIDTH} height={HEIGHT}>
				<ValueGrid ticks={scale.ticks} y={y} left={MARGIN.left} right={WIDTH - MARGIN.right} />
				{days.map((d, i) => {
					const x = MARGIN.left + i * band + (band - barWidth) / 2
					return (
						<g key={d.day}>
							{d.segments.map((s) => (
								<rect
									key={s.series}
									class={`series-${s.series % PALETTE_SIZE}`}
									x={x}
									y={y(s.to)}
									width={barWidth}
									height={Math.max(0, y(s.from) - y(s.to))}
								>
									<title>{`${d.day} ${series[s.series]?.label ?? ''}: ${formatCount(s.tokens)} tokens`}</title>
								</rect>
							))}
							{i % every === 0 && (
								<text class="day-label" x={x + barWidth / 2} y={HEIGHT - MARGIN.bottom + 18}>
									{d.day.slice(5)}
								</text>
							)}
						</g>
					)
				})}
				{budget !== null && (
					<g>
						<line
							class="budget"
							x1={MARGIN.left}
							x2={WIDTH - MARGIN.right}
							y1={y(budget)}
							y2={y(budget)}
						/>
						<text class="budget-label" x={WIDTH - MARGIN.right} y={y(budget) - 4}>
							budget {compactNumber(budget)}
						</text>
					</g>
				)}
			</ChartSvg>
			<figcaption>
				<ul class="legend" aria-label="Legend">
					{series.map((s, i) => (
						<li key={s.label}>
							<svg class="swatch" viewBox="0 0 12 12" aria-hidden="true">
								<rect class={`series-${i % PALETTE_SIZE}`} width="12" height="12" rx="2" />
							</svg>
							{s.label} <span class="muted">{formatCount(s.total)}</span>
						</li>
					))}
					{budget !== null && (
						<li>
							<svg class="swatch" viewBox="0 0 12 12" aria-hidden="true">
								<line class="budget" x1="0" x2="12" y1="6" y2="6" />
							</svg>
							daily budget <span class="muted">{formatCount(budget)}</span>
						</li>
					)}
				</ul>
			</figcaption>
		</figure>
	)
}
