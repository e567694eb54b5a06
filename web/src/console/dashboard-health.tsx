// The Dashboard's health panels: failovers with the breakers open and keys cooling down now,
// stuck and recovered lanes and compactions, failed deliveries, the open alerts, and for the
// platform admin every lane's queue and stuck run. A panel whose data the principal may not read
// is given no resource and is left out by the page.
import type { Schemas } from '../api'
import type { Resource } from '../ui/kit'
import { Time } from '../ui/kit'
import { Table } from '../ui/table'
import { type ChartWindow, Empty, Panel, Stats } from './dashboard-panel'
import { FailuresTable } from './dashboard-traffic'
import { formatCount } from './format'
import { TimeChart } from './metric-charts'
import { hasData, stepText } from './metrics-model'
import type { AlertEpisode, ErrorsMetrics, LaneHealth, OverviewMetrics } from './metrics-types'

const count = (n: number) => formatCount(n)

/** `GET /v1/provider-health`: the tenant's own keys and the shared keys it may use. */
export type TenantProviderHealth = Schemas['TenantProviderHealth']

interface Trouble {
	scope: string
	what: 'Breaker' | 'Key'
	key: string
	state: string
	until: number | null
}

/** Breakers not closed and keys cooling down or disabled, the tenant's own first. */
export function troubleOf(health: TenantProviderHealth): Trouble[] {
	return [health.tenant, health.shared].flatMap((scope) => [
		...scope.breakers
			.filter((b) => b.state !== 'closed')
			.map((b) => ({
				scope: scope.scope,
				what: 'Breaker' as const,
				key: b.key,
				state: b.state,
				until: b.openUntil,
			})),
		...scope.profiles
			.filter((p) => p.disabled !== null || p.cooldownUntil !== null)
			.map((p) => ({
				scope: scope.scope,
				what: 'Key' as const,
				key: p.key,
				state: p.disabled ? `disabled: ${p.disabled.reason}` : 'cooling down',
				until: p.disabled ? null : p.cooldownUntil,
			})),
	])
}

export function FailoversPanel(props: {
	overview: Resource<OverviewMetrics>
	/** Absent when the principal may not read provider health. */
	providers: Resource<TenantProviderHealth> | null
}) {
	const totals = props.overview.data?.totals
	const trouble = props.providers?.data ? troubleOf(props.providers.data) : null
	return (
		<Panel
			id="failovers"
			title="Failovers and breakers"
			resources={props.providers ? [props.overview, props.providers] : [props.overview]}
		>
			{totals && (
				<Stats
					items={[
						['Failovers', count(totals.failovers)],
						['Model calls', count(totals.modelCalls)],
						...(trouble ? [['Open now', count(trouble.length)] as [string, string]] : []),
					]}
				/>
			)}
			{trouble &&
				(trouble.length === 0 ? (
					<Empty>No breaker is open and no key is cooling down.</Empty>
				) : (
					<Table
						columns={['Scope', 'What', 'Model or key', 'State', 'Until']}
						caption="Open breakers and keys cooling down"
					>
						{trouble.map((t) => (
							<tr key={`${t.scope}/${t.what}/${t.key}`}>
								<td>{t.scope}</td>
								<td>{t.what}</td>
								<td>
									<code>{t.key}</code>
								</td>
								<td>
									<span class="status status-open">{t.state}</span>
								</td>
								<td>
									<Time at={t.until} />
								</td>
							</tr>
						))}
					</Table>
				))}
		</Panel>
	)
}

export function LaneEventsPanel(props: { overview: Resource<OverviewMetrics> }) {
	const totals = props.overview.data?.totals
	return (
		<Panel id="lane-events" title="Stuck and recovered lanes" resources={[props.overview]}>
			{totals && (
				<>
					<Stats
						items={[
							['Stuck runs', count(totals.stuckRuns)],
							['Lane recoveries', count(totals.laneRecoveries)],
							['Compactions', count(totals.laneCompactions)],
						]}
					/>
					<p class="hint">
						A stuck run went past its deadline without recovery resolving it; a recovery resumed a
						lane's runs after a restart.
					</p>
				</>
			)}
		</Panel>
	)
}

export function DeliveriesPanel(props: {
	overview: Resource<OverviewMetrics>
	errors: Resource<ErrorsMetrics>
	window: ChartWindow
}) {
	const totals = props.overview.data?.totals
	const data = props.errors.data
	const failed = data?.series.map((p) => p.deliveriesFailed) ?? []
	const rows = (data?.breakdown ?? []).filter((r) => r.kind === 'delivery')
	return (
		<Panel id="deliveries" title="Failed deliveries" resources={[props.overview, props.errors]}>
			{totals && (
				<Stats
					items={[
						['Failed deliveries', count(totals.deliveriesFailed)],
						['Webhooks received', count(totals.webhooks)],
					]}
				/>
			)}
			{data &&
				(hasData([failed]) ? (
					<TimeChart
						summary={`Failed deliveries per ${stepText(data.stepSeconds)}, ${props.window.label}: ${count(data.totals.deliveriesFailed)}`}
						times={data.series.map((p) => p.t)}
						windowMs={props.window.ms}
						series={[{ label: 'Failed deliveries', values: failed, mark: 'bar', color: 5 }]}
						format={count}
					/>
				) : (
					<Empty>No delivery failed in this window.</Empty>
				))}
			<FailuresTable rows={rows} caption="Failed deliveries by channel" where="Channel" />
		</Panel>
	)
}

/** An alert's value or threshold: as the rule measured it (a share, ms or a count). */
const measure = (n: number) => n.toLocaleString(undefined, { maximumFractionDigits: 4 })

export function AlertsPanel(props: { alerts: Resource<{ alerts: AlertEpisode[] }> }) {
	const alerts = props.alerts.data?.alerts
	const open = (alerts ?? []).filter((a) => a.status === 'open')
	const resolved = (alerts ?? []).length - open.length
	return (
		<Panel id="alerts" title="Open alerts" resources={[props.alerts]}>
			{alerts &&
				(open.length === 0 ? (
					<Empty>No open alerts.</Empty>
				) : (
					<Table
						columns={['Rule', 'Value', 'Threshold', 'Opened', 'Notified']}
						caption={`${count(open.length)} open`}
					>
						{open.map((a) => (
							<tr key={a.id}>
								<td>
									<span class="status status-open">{a.rule}</span>
								</td>
								<td class="num">{measure(a.value)}</td>
								<td class="num">{measure(a.threshold)}</td>
								<td>
									<Time at={a.openedAt} />
								</td>
								<td>{a.notified}</td>
							</tr>
						))}
					</Table>
				))}
			{resolved > 0 && <p class="hint">{count(resolved)} resolved.</p>}
		</Panel>
	)
}

/** Stuck lanes first, then the longest queues. */
const byTrouble = (a: LaneHealth, b: LaneHealth) =>
	Number(b.stuckSince !== null) - Number(a.stuckSince !== null) || b.queuedRuns - a.queuedRuns
/** The lanes listed; the rest are in the API. */
const TOP_LANES = 50

export function PlatformLanesPanel(props: { lanes: Resource<{ lanes: LaneHealth[] }> }) {
	const lanes = props.lanes.data?.lanes
	const stuck = (lanes ?? []).filter((l) => l.stuckSince !== null).length
	const queued = (lanes ?? []).reduce((n, l) => n + l.queuedRuns, 0)
	return (
		<Panel id="lanes" title="Lanes" resources={[props.lanes]}>
			{lanes && (
				<>
					<Stats
						items={[
							['Stuck lanes', count(stuck)],
							['Queued runs', count(queued)],
						]}
					/>
					{lanes.length === 0 ? (
						<Empty>No lanes reported.</Empty>
					) : (
						<Table
							columns={[
								'Tenant',
								'Agent',
								'Session',
								'Queued',
								'Stuck since',
								'Last run',
								'Updated',
							]}
							caption="Lanes by queue depth, stuck first"
						>
							{[...lanes]
								.sort(byTrouble)
								.slice(0, TOP_LANES)
								.map((l) => (
									<tr key={`${l.tenantId}/${l.agent}/${l.sessionKey}`}>
										<td>{l.tenantId}</td>
										<td>{l.agent}</td>
										<td>
											<code>{l.sessionKey}</code>
										</td>
										<td class="num">{count(l.queuedRuns)}</td>
										<td>{l.stuckSince === null ? '—' : <Time at={l.stuckSince} />}</td>
										<td>
											{l.lastRunStatus ? (
												<span class={`status status-${l.lastRunStatus}`}>{l.lastRunStatus}</span>
											) : (
												'—'
											)}
										</td>
										<td>
											<Time at={l.updatedAt} />
										</td>
									</tr>
								))}
						</Table>
					)}
				</>
			)}
		</Panel>
	)
}
