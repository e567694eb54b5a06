// The Dashboard's charts, drawn by hand in SVG like the usage chart (no chart library): a time
// series of bars and lines over the window's steps, and a ranking of horizontal bars. Each is an
// `<svg role="img">` named by a text summary the caller writes; colours come from CSS classes.
import { ChartSvg, ValueGrid } from './chart-frame'
import { axisTime, peakOf } from './metrics-model'
import { PALETTE_SIZE } from './usage-chart'
import { labelEvery, niceScale } from './usage-model'

// About a panel's width, so that the labels read at their font size.
const WIDTH = 480
const HEIGHT = 180
const MARGIN = { top: 12, right: 8, bottom: 26, left: 44 }

export interface ChartSeries {
	label: string
	/** One value per time; null is a gap (nothing was measured). */
	values: readonly (number | null)[]
	/** Bars are drawn from zero, in order, each over the one before (errors over requests). */
	mark: 'bar' | 'line'
	/** Palette index (`series-<n>`). */
	color: number
}

/** Runs of consecutive measured values: a line breaks where nothing was measured. */
function segments(values: readonly (number | null)[]): { i: number; v: number }[][] {
	const runs: { i: number; v: number }[][] = []
	let current: { i: number; v: number }[] = []
	values.forEach((v, i) => {
		if (v === null || !Number.isFinite(v)) {
			if (current.length > 0) runs.push(current)
			current = []
		} else current.push({ i, v })
	})
	if (current.length > 0) runs.push(current)
	return runs
}

export function TimeChart(props: {
	/** The chart's text summary, its accessible name. */
	summary: string
	/** The start of each step (epoch ms). */
	times: readonly number[]
	windowMs: number
	series: readonly ChartSeries[]
	/** A value as its tooltip says it. */
	format: (n: number) => string
}) {
	const { times, series } = props
	const top = peakOf(series.flatMap((s) => s.values)) ?? 0
	const scale = niceScale(top)
	const plotWidth = WIDTH - MARGIN.left - MARGIN.right
	const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
	const y = (v: number) => MARGIN.top + plotHeight * (1 - v / scale.top)
	const band = plotWidth / Math.max(1, times.length)
	const barWidth = Math.max(1, band * 0.7)
	const centre = (i: number) => MARGIN.left + i * band + band / 2
	const every = labelEvery(times.length, 5)
	const when = (i: number) => axisTime(times[i] ?? 0, props.windowMs)
	return (
		<figure class="chart">
			<ChartSvg label={props.summary} width={WIDTH} height={HEIGHT}>
				<ValueGrid ticks={scale.ticks} y={y} left={MARGIN.left} right={WIDTH - MARGIN.right} />
				{series.map((s) =>
					s.mark === 'bar' ? (
						<g key={s.label} class={`series-${s.color % PALETTE_SIZE}`}>
							{segments(s.values).flatMap((run) =>
								run
									.filter(({ v }) => v > 0)
									.map(({ i, v }) => (
										<rect
											key={i}
											x={centre(i) - barWidth / 2}
											y={y(v)}
											width={barWidth}
											height={Math.max(0, y(0) - y(v))}
										>
											<title>{`${when(i)} ${s.label}: ${props.format(v)}`}</title>
										</rect>
									)),
							)}
						</g>
					) : (
						<g key={s.label} class={`line series-${s.color % PALETTE_SIZE}`}>
							{segments(s.values).map((run) =>
								run.length === 1 ? (
									<circle
										key={run[0]?.i}
										cx={centre(run[0]?.i ?? 0)}
										cy={y(run[0]?.v ?? 0)}
										r="2.5"
									/>
								) : (
									<polyline
										key={run[0]?.i}
										points={run.map(({ i, v }) => `${centre(i)},${y(v)}`).join(' ')}
									/>
								),
							)}
						</g>
					),
				)}
				{times.map((_, i) =>
					i % every === 0 ? (
						<text key={i} class="time-label" x={centre(i)} y={HEIGHT - MARGIN.bottom + 18}>
							{when(i)}
						</text>
					) : null,
				)}
			</ChartSvg>
			<figcaption>
				<Legend series={series} />
			</figcaption>
		</figure>
	)
}

function Legend({ series }: { series: readonly ChartSeries[] }) {
	return (
		<ul class="legend" aria-label="Legend">
			{series.map((s) => (
				<li key={s.label}>
					<svg
						class={`swatch series-${s.color % PALETTE_SIZE}`}
						viewBox="0 0 12 12"
						aria-hidden="true"
					>
						{s.mark === 'bar' ? (
							<rect width="12" height="12" rx="2" />
						) : (
							<line class="swatch-line" x1="0" x2="12" y1="6" y2="6" />
						)}
					</svg>
					{s.label}
				</li>
			))}
		</ul>
	)
}

const RANK_ROW = 22
const LABEL_WIDTH = 200
const VALUE_WIDTH = 72
const LABEL_CHARS = 30

/** Rows as horizontal bars, longest first as given: which agent and model used the most. */
export function RankChart(props: {
	summary: string
	rows: readonly { label: string; value: number }[]
	format: (n: number) => string
}) {
	const top = Math.max(0, ...props.rows.map((r) => r.value))
	const barSpace = WIDTH - LABEL_WIDTH - VALUE_WIDTH
	const height = props.rows.length * RANK_ROW + 4
	return (
		<figure class="chart rank">
			<ChartSvg label={props.summary} width={WIDTH} height={height}>
				{props.rows.map((r, i) => {
					const y = i * RANK_ROW + 2
					const width = top > 0 ? (barSpace * r.value) / top : 0
					const label =
						r.label.length > LABEL_CHARS ? `${r.label.slice(0, LABEL_CHARS - 1)}…` : r.label
					return (
						<g key={r.label}>
							<title>{`${r.label}: ${props.format(r.value)}`}</title>
							<text class="rank-label" x="0" y={y + RANK_ROW / 2}>
								{label}
							</text>
							<rect
								class={`series-${i % PALETTE_SIZE}`}
								x={LABEL_WIDTH}
								y={y + 3}
								width={Math.max(width, r.value > 0 ? 1 : 0)}
								height={RANK_ROW - 6}
								rx="2"
							/>
							<text class="rank-value" x={WIDTH} y={y + RANK_ROW / 2}>
								{props.format(r.value)}
							</text>
						</g>
					)
				})}
			</ChartSvg>
		</figure>
	)
}
