// Dashboard page: what the gateway did over a window (last hour, day or week), for the tenant or
// one agent — traffic and errors, latency, tokens and cost, tools, failovers, lanes, deliveries —
// from the metrics API's views, with the provider health, open alerts and (platform admins) the
// lanes beside them. The window and the agent live in the URL, so a view can be linked.
import { useMemo, useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { client, given, must } from '../api'
import { can } from '../session'
import { Page, type Resource, Time, useResource } from '../ui/kit'
import { AgentSelect } from './agent-select'
import {
	AlertsPanel,
	DeliveriesPanel,
	FailoversPanel,
	LaneEventsPanel,
	PlatformLanesPanel,
} from './dashboard-health'
import type { ChartWindow } from './dashboard-panel'
import {
	ErrorsPanel,
	LatencyPanel,
	RequestsPanel,
	TokensPanel,
	ToolsPanel,
} from './dashboard-traffic'
import {
	DEFAULT_WINDOW,
	type MetricsRange,
	metricsRange,
	stepText,
	WINDOW_KEYS,
	WINDOWS,
	type WindowKey,
	windowOf,
} from './metrics-model'
import { isView, type MetricsByView, type MetricsSource, type MetricView } from './metrics-types'

const SOURCE_NAMES: Record<MetricsSource, string> = {
	'analytics-engine': 'Workers Analytics Engine',
	d1: 'D1 rollups',
}

function useMetrics<V extends MetricView>(
	view: V,
	range: MetricsRange,
	agent: string,
): Resource<MetricsByView[V]> {
	return useResource(
		async (signal) => {
			const answer = await must(
				client.GET('/v1/metrics/{view}', {
					params: {
						path: { view },
						query: {
							from: String(range.from),
							to: String(range.to),
							step: range.step,
							agent: given(agent),
						},
					},
					signal,
				}),
				signal,
			)
			if (!isView(answer, view)) {
				throw new Error(`Asked for the ${view} view, the gateway answered ${answer.view}.`)
			}
			return answer
		},
		[view, range, agent],
	)
}

/** Loads only when the principal may `action`; null otherwise (its panel is left out). */
function useAllowed<T>(
	action: string,
	load: (signal: AbortSignal) => Promise<T>,
	refreshed: number,
): Resource<T> | null {
	const allowed = can(action)
	const resource = useResource(
		(signal) => (allowed ? load(signal) : Promise.resolve(undefined as T)),
		[allowed, refreshed],
	)
	return allowed ? resource : null
}

export function dashboardHref(path: string, windowKey: WindowKey, agent: string): string {
	const params = new URLSearchParams()
	if (windowKey !== DEFAULT_WINDOW) params.set('window', windowKey)
	if (agent) params.set('agent', agent)
	const text = params.toString()
	return text ? `${path}?${text}` : path
}

export function DashboardPage() {
	const { query, path, route } = useLocation()
	const windowKey = windowOf(query.window)
	const agent = query.agent ?? ''
	const [refreshed, setRefreshed] = useState(0)
	// One range for every view, fixed until the window changes or the page is refreshed.
	const range = useMemo(() => metricsRange(windowKey, Date.now()), [windowKey, refreshed])
	const overview = useMetrics('overview', range, agent)
	const latency = useMetrics('latency', range, agent)
	const tokens = useMetrics('tokens', range, agent)
	const tools = useMetrics('tools', range, agent)
	const errors = useMetrics('errors', range, agent)
	const providers = useAllowed(
		'provider-health:read',
		(signal) => must(client.GET('/v1/provider-health', { signal }), signal),
		refreshed,
	)
	const alerts = useAllowed(
		'alerts:read',
		(signal) => must(client.GET('/v1/alerts', { signal }), signal),
		refreshed,
	)
	const lanes = useAllowed(
		'platform-lanes:read',
		(signal) => must(client.GET('/v1/admin/lanes', { signal }), signal),
		refreshed,
	)
	const chartWindow: ChartWindow = {
		label: WINDOWS[windowKey].label.toLowerCase(),
		ms: WINDOWS[windowKey].ms,
	}
	const answered = [overview, latency, tokens, tools, errors].flatMap((r) =>
		r.data ? [r.data] : [],
	)
	const sources = [...new Set(answered.map((a) => SOURCE_NAMES[a.source] ?? a.source))]
	const first = answered[0]
	return (
		<Page
			title="Dashboard"
			actions={
				<button type="button" onClick={() => setRefreshed((n) => n + 1)}>
					Refresh
				</button>
			}
		>
			<div class="filters">
				<label class="field">
					<span>Window</span>
					<select
						value={windowKey}
						onChange={(e) =>
							route(dashboardHref(path, windowOf(e.currentTarget.value), agent), true)
						}
					>
						{WINDOW_KEYS.map((key) => (
							<option key={key} value={key}>
								{WINDOWS[key].label}
							</option>
						))}
					</select>
				</label>
				<AgentSelect
					value={agent}
					onChange={(next) => route(dashboardHref(path, windowKey, next), true)}
				/>
			</div>
			{first && (
				<p class="source">
					<Time at={first.from} /> to <Time at={first.to} />, per {stepText(first.stepSeconds)}.
					Source: {sources.join(', ')}.
				</p>
			)}
			<div class="panels">
				<RequestsPanel overview={overview} window={chartWindow} />
				<LatencyPanel latency={latency} window={chartWindow} />
				<TokensPanel tokens={tokens} window={chartWindow} />
				<ToolsPanel tools={tools} window={chartWindow} />
				<FailoversPanel overview={overview} providers={providers} />
				<LaneEventsPanel overview={overview} />
				<DeliveriesPanel overview={overview} errors={errors} window={chartWindow} />
				<ErrorsPanel errors={errors} window={chartWindow} />
				{alerts && <AlertsPanel alerts={alerts} />}
				{lanes && <PlatformLanesPanel lanes={lanes} />}
			</div>
		</Page>
	)
}
