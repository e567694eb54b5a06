// Usage page: the tenant's tokens per UTC day by agent and model (`GET /v1/usage`, which also
// carries the daily token budget) as a chart, and the same numbers as a table.
import { useState } from 'preact/hooks'
import { client, given, must } from '../api'
import { Filters } from '../ui/filters'
import { Page, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'
import { formatCount, formatDuration } from './format'
import { UsageChart } from './usage-chart'
import { stackUsage, tokensOf, type UsageRow } from './usage-model'

const byDayAgentModel = (a: UsageRow, b: UsageRow) =>
	a.day.localeCompare(b.day) || a.agentId.localeCompare(b.agentId) || a.model.localeCompare(b.model)

export function UsagePage() {
	const [range, setRange] = useState({ from: '', to: '' })
	const [draft, setDraft] = useState(range)
	const usage = useResource(
		(signal) =>
			must(
				client.GET('/v1/usage', {
					params: { query: { from: given(range.from), to: given(range.to) } },
					signal,
				}),
				signal,
			),
		[range],
	)
	const data = usage.data
	return (
		<Page title="Usage">
			<Filters label="Range" apply="Show" onApply={() => setRange(draft)}>
				<label class="field">
					<span>From (UTC)</span>
					<input
						type="date"
						value={draft.from}
						onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
					/>
				</label>
				<label class="field">
					<span>To (UTC)</span>
					<input
						type="date"
						value={draft.to}
						onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
					/>
				</label>
			</Filters>
			<ResourceStatus resource={usage} />
			{data && (
				<>
					<p>
						{data.from} to {data.to}. Used today: <strong>{formatCount(data.usedToday)}</strong>{' '}
						tokens
						{data.dailyTokenBudget !== null
							? ` of a daily budget of ${formatCount(data.dailyTokenBudget)}.`
							: ' (no daily budget).'}
					</p>
					<UsageChart
						stacked={stackUsage(data.rows, data.from, data.to)}
						budget={data.dailyTokenBudget}
					/>
					{data.rows.length === 0 ? (
						<p class="muted">No tokens used in this range.</p>
					) : (
						<UsageTable rows={data.rows} />
					)}
				</>
			)}
		</Page>
	)
}

function UsageTable({ rows }: { rows: UsageRow[] }) {
	return (
		<Table
			columns={[
				'Day (UTC)',
				'Agent',
				'Model',
				'Calls',
				'Errors',
				'Input tokens',
				'Output tokens',
				'Total tokens',
				'Mean latency',
			]}
			caption="Tokens per day by agent and model"
		>
			{[...rows].sort(byDayAgentModel).map((r) => (
				<tr key={`${r.day}/${r.agentId}/${r.model}`}>
					<td class="nowrap">{r.day}</td>
					<td>{r.agentId}</td>
					<td>
						<code>{r.model}</code>
					</td>
					<td class="num">{formatCount(r.calls)}</td>
					<td class="num">{formatCount(r.errors)}</td>
					<td class="num">{formatCount(r.inputTokens)}</td>
					<td class="num">{formatCount(r.outputTokens)}</td>
					<td class="num">{formatCount(tokensOf(r))}</td>
					<td class="num">{formatDuration(r.calls > 0 ? r.latencyMs / r.calls : null)}</td>
				</tr>
			))}
		</Table>
	)
}
