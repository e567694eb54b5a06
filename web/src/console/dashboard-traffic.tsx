// The Dashboard's traffic panels, one per metrics view: requests and error rate, turn latency,
// tokens and cost by agent and model, tool runs, and failures of every kind — each its headline
// numbers, a chart with a text summary (or an empty state), and its breakdown as a table.
import type { Resource } from '../ui/kit'
import { Table } from '../ui/table'
import { type ChartWindow, Empty, Panel, Stats } from './dashboard-panel'
import { formatBytes, formatCount, formatDuration, formatPercent, formatUsd } from './format'
import { RankChart, TimeChart } from './metric-charts'
import { hasData, peakOf, stepText, sumOf } from './metrics-model'
import type {
	ErrorsMetrics,
	ErrorsRow,
	LatencyMetrics,
	LatencyRow,
	OverviewMetrics,
	TokensMetrics,
	ToolsMetrics,
} from './metrics-types'

const count = (n: number) => formatCount(n)
const times = (series: readonly { t: number }[]) => series.map((p) => p.t)

export function RequestsPanel(props: { overview: Resource<OverviewMetrics>; window: ChartWindow }) {
	const data = props.overview.data
	const requests = data?.series.map((p) => p.requests) ?? []
	const errors = data?.series.map((p) => p.errors) ?? []
	return (
		<Panel id="requests" title="Requests and errors" resources={[props.overview]}>
			{data && (
				<>
					<Stats
						items={[
							['Requests', count(data.totals.requests)],
							['Answered 5xx', count(data.totals.errors)],
							['Error rate', formatPercent(data.totals.errorRate)],
							['Runs', count(data.totals.runs)],
							['Failed runs', count(data.totals.runsFailed)],
						]}
					/>
					{hasData([requests]) ? (
						<TimeChart
							summary={`Requests per ${stepText(data.stepSeconds)}, ${props.window.label}: ${count(data.totals.requests)} requests, ${count(data.totals.errors)} answered 5xx (${formatPercent(data.totals.errorRate)}); the busiest ${stepText(data.stepSeconds)} had ${count(peakOf(requests) ?? 0)}`}
							times={times(data.series)}
							windowMs={props.window.ms}
							series={[
								{ label: 'Requests', values: requests, mark: 'bar', color: 0 },
								{ label: 'Answered 5xx', values: errors, mark: 'bar', color: 5 },
							]}
							format={count}
						/>
					) : (
						<Empty>No requests in this window.</Empty>
					)}
					{data.breakdown.length > 0 && (
						<Table columns={['Agent', 'Runs', 'Failed', 'Cost']} caption="Runs by agent">
							{data.breakdown.map((r) => (
								<tr key={r.agent}>
									<td>{r.agent}</td>
									<td class="num">{count(r.runs)}</td>
									<td class="num">{count(r.runsFailed)}</td>
									<td class="num">{formatUsd(r.costUsd)}</td>
								</tr>
							))}
						</Table>
					)}
				</>
			)}
		</Panel>
	)
}

const LATENCY_KINDS: Record<LatencyRow['kind'], string> = {
	request: 'Request',
	run: 'Turn',
	model_call: 'Model call',
}

export function LatencyPanel(props: { latency: Resource<LatencyMetrics>; window: ChartWindow }) {
	const data = props.latency.data
	const p50 = data?.series.map((p) => p.turnP50Ms) ?? []
	const p95 = data?.series.map((p) => p.turnP95Ms) ?? []
	const t = data?.totals
	return (
		<Panel id="latency" title="Turn latency" resources={[props.latency]}>
			{data && t && (
				<>
					<Stats
						items={[
							['Turn p50', formatDuration(t.turnP50Ms)],
							['Turn p95', formatDuration(t.turnP95Ms)],
							['Request p50', formatDuration(t.requestP50Ms)],
							['Request p95', formatDuration(t.requestP95Ms)],
							['Model call p50', formatDuration(t.modelP50Ms)],
							['Model call p95', formatDuration(t.modelP95Ms)],
						]}
					/>
					{hasData([p50, p95]) ? (
						<TimeChart
							summary={`Turn latency per ${stepText(data.stepSeconds)}, ${props.window.label}: p50 ${formatDuration(t.turnP50Ms)}, p95 ${formatDuration(t.turnP95Ms)}; the slowest ${stepText(data.stepSeconds)} had a p95 of ${formatDuration(peakOf(p95))}`}
							times={times(data.series)}
							windowMs={props.window.ms}
							series={[
								{ label: 'Turn p50', values: p50, mark: 'line', color: 0 },
								{ label: 'Turn p95', values: p95, mark: 'line', color: 1 },
							]}
							format={formatDuration}
						/>
					) : (
						<Empty>No turn finished in this window.</Empty>
					)}
					{data.breakdown.length > 0 && (
						<Table
							columns={['Kind', 'Route or model', 'Count', 'p50', 'p95']}
							caption="Latency by route and model"
						>
							{data.breakdown.map((r) => (
								<tr key={`${r.kind}/${r.key}`}>
									<td>{LATENCY_KINDS[r.kind] ?? r.kind}</td>
									<td>
										<code>{r.key}</code>
									</td>
									<td class="num">{count(r.count)}</td>
									<td class="num">{formatDuration(r.p50Ms)}</td>
									<td class="num">{formatDuration(r.p95Ms)}</td>
								</tr>
							))}
						</Table>
					)}
				</>
			)}
		</Panel>
	)
}

/** A row's cost, marked "≥" when some of its calls had no known price. */
const costText = (usd: number, complete: boolean) =>
	complete ? formatUsd(usd) : `≥ ${formatUsd(usd)}`

export function TokensPanel(props: { tokens: Resource<TokensMetrics>; window: ChartWindow }) {
	const data = props.tokens.data
	const input = data?.series.map((p) => p.inputTokens) ?? []
	const output = data?.series.map((p) => p.outputTokens) ?? []
	const rows = [...(data?.breakdown ?? [])].sort(
		(a, b) => b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens),
	)
	const complete = rows.every((r) => r.costComplete)
	const ranked = rows.map((r) => ({
		label: `${r.agent} · ${r.model}`,
		value: r.inputTokens + r.outputTokens,
	}))
	return (
		<Panel id="tokens" title="Tokens and cost" resources={[props.tokens]}>
			{data && (
				<>
					<Stats
						items={[
							['Input tokens', count(data.totals.inputTokens)],
							['Output tokens', count(data.totals.outputTokens)],
							['Cost', costText(data.totals.costUsd, complete)],
						]}
					/>
					{hasData([input, output]) ? (
						<TimeChart
							summary={`Tokens per ${stepText(data.stepSeconds)}, ${props.window.label}: ${count(data.totals.inputTokens)} in, ${count(data.totals.outputTokens)} out, costing ${costText(data.totals.costUsd, complete)}`}
							times={times(data.series)}
							windowMs={props.window.ms}
							series={[
								{ label: 'Input tokens', values: input, mark: 'line', color: 0 },
								{ label: 'Output tokens', values: output, mark: 'line', color: 1 },
							]}
							format={count}
						/>
					) : (
						<Empty>No tokens used in this window.</Empty>
					)}
					{ranked.some((r) => r.value > 0) && (
						<RankChart
							summary={`Tokens by agent and model, ${props.window.label}: ${ranked
								.slice(0, 3)
								.map((r) => `${r.label} ${count(r.value)}`)
								.join(', ')}${ranked.length > 3 ? `, and ${ranked.length - 3} more` : ''}`}
							rows={ranked}
							format={count}
						/>
					)}
					{rows.length > 0 && (
						<Table
							columns={['Agent', 'Model', 'Calls', 'Errors', 'Input', 'Output', 'Cost']}
							caption="Tokens and cost by agent and model"
						>
							{rows.map((r) => (
								<tr key={`${r.agent}/${r.model}`}>
									<td>{r.agent}</td>
									<td>
										<code>{r.model}</code>
									</td>
									<td class="num">{count(r.calls)}</td>
									<td class="num">{count(r.errors)}</td>
									<td class="num">{count(r.inputTokens)}</td>
									<td class="num">{count(r.outputTokens)}</td>
									<td class="num">{costText(r.costUsd, r.costComplete)}</td>
								</tr>
							))}
						</Table>
					)}
					{!complete && <p class="hint">≥: some calls of the model had no known price.</p>}
				</>
			)}
		</Panel>
	)
}

export function ToolsPanel(props: { tools: Resource<ToolsMetrics>; window: ChartWindow }) {
	const data = props.tools.data
	const runs = data?.series.map((p) => p.runs) ?? []
	const failures = data?.series.map((p) => p.failures) ?? []
	const failureRate = data && data.totals.runs > 0 ? data.totals.failures / data.totals.runs : null
	return (
		<Panel id="tools" title="Tool runs" resources={[props.tools]}>
			{data && (
				<>
					<Stats
						items={[
							['Tool runs', count(data.totals.runs)],
							['Failures', count(data.totals.failures)],
							['Failure rate', formatPercent(failureRate)],
						]}
					/>
					{hasData([runs]) ? (
						<TimeChart
							summary={`Tool runs per ${stepText(data.stepSeconds)}, ${props.window.label}: ${count(data.totals.runs)} runs, ${count(data.totals.failures)} failed (${formatPercent(failureRate)})`}
							times={times(data.series)}
							windowMs={props.window.ms}
							series={[
								{ label: 'Tool runs', values: runs, mark: 'bar', color: 2 },
								{ label: 'Failures', values: failures, mark: 'bar', color: 5 },
							]}
							format={count}
						/>
					) : (
						<Empty>No tool ran in this window.</Empty>
					)}
					{data.breakdown.length > 0 && (
						<Table
							columns={['Tool', 'Runs', 'Failures', 'p50', 'p95', 'Mean queue wait', 'Bytes']}
							caption="Tool runs and failures by tool"
						>
							{data.breakdown.map((r) => (
								<tr key={r.tool}>
									<td>
										<code>{r.tool}</code>
									</td>
									<td class="num">{count(r.runs)}</td>
									<td class="num">{count(r.failures)}</td>
									<td class="num">{formatDuration(r.p50Ms)}</td>
									<td class="num">{formatDuration(r.p95Ms)}</td>
									<td class="num">{formatDuration(r.queueWaitMs)}</td>
									<td class="num">{formatBytes(r.bytes)}</td>
								</tr>
							))}
						</Table>
					)}
				</>
			)}
		</Panel>
	)
}

/** Rows of the errors view: where and how it failed, how often; the kind unless all are one. */
export function FailuresTable(props: {
	rows: readonly ErrorsRow[]
	caption: string
	/** The heading of the route, model, tool or channel column. */
	where: string
	withKind?: boolean
}) {
	if (props.rows.length === 0) return null
	return (
		<Table
			columns={[props.withKind === true && 'Kind', props.where, 'Outcome', 'Count']}
			caption={props.caption}
		>
			{props.rows.map((r) => (
				<tr key={`${r.kind}/${r.key}/${r.outcome}`}>
					{props.withKind && <td>{r.kind}</td>}
					<td>
						<code>{r.key}</code>
					</td>
					<td>{r.outcome}</td>
					<td class="num">{count(r.count)}</td>
				</tr>
			))}
		</Table>
	)
}

/** The most frequent failures shown; the rest are in the metrics API. */
const TOP_ERRORS = 10

export function ErrorsPanel(props: { errors: Resource<ErrorsMetrics>; window: ChartWindow }) {
	const data = props.errors.data
	const t = data?.totals
	const column = (pick: (p: ErrorsMetrics['series'][number]) => number) =>
		data?.series.map(pick) ?? []
	const lines = [
		{ label: '4xx', values: column((p) => p.requests4xx), color: 1 },
		{ label: '5xx', values: column((p) => p.requests5xx), color: 5 },
		{ label: 'Failed runs', values: column((p) => p.runsFailed), color: 3 },
		{ label: 'Model failures', values: column((p) => p.modelFailures), color: 0 },
		{ label: 'Tool failures', values: column((p) => p.toolFailures), color: 2 },
	].map((s) => ({ ...s, mark: 'line' as const }))
	const top = [...(data?.breakdown ?? [])].sort((a, b) => b.count - a.count).slice(0, TOP_ERRORS)
	return (
		<Panel id="errors" title="Errors" resources={[props.errors]}>
			{data && t && (
				<>
					<Stats
						items={[
							['Requests 4xx', count(t.requests4xx)],
							['Requests 5xx', count(t.requests5xx)],
							['Failed runs', count(t.runsFailed)],
							['Model failures', count(t.modelFailures)],
							['Tool failures', count(t.toolFailures)],
						]}
					/>
					{hasData(lines.map((s) => s.values)) ? (
						<TimeChart
							summary={`Failures per ${stepText(data.stepSeconds)}, ${props.window.label}: ${lines
								.map((s) => `${s.label} ${count(sumOf(s.values))}`)
								.join(', ')}`}
							times={times(data.series)}
							windowMs={props.window.ms}
							series={lines}
							format={count}
						/>
					) : (
						<Empty>Nothing failed in this window.</Empty>
					)}
					<FailuresTable rows={top} caption="Most frequent failures" where="Where" withKind />
				</>
			)}
		</Panel>
	)
}
