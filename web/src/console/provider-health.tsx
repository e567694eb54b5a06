// What the failover layer believes about model providers: auth profiles (API keys, by secret name)
// cooling down or disabled, and per-model circuit breakers — the tenant's own and the shared ones,
// and for the platform admin any scope (`/v1/admin/providers`).
import { useState } from 'preact/hooks'
import { client, must, type Schemas } from '../api'
import { Filters } from '../ui/filters'
import { Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'

/** One health scope of `GET /v1/provider-health` (and `/v1/admin/providers`). */
export type ProviderHealth = Schemas['ProviderHealth']

function ScopeHealth({ title, health }: { title: string; health: ProviderHealth }) {
	return (
		<section class="provider-scope" aria-label={title}>
			<h3>
				{title} <span class="muted">({health.scope})</span>
			</h3>
			{health.profiles.length === 0 ? (
				<p class="muted">No key is cooling down or disabled.</p>
			) : (
				<Table
					columns={['Key', 'Failures', 'Cooling down until', 'Disabled', 'Last error']}
					caption="Auth profiles"
				>
					{health.profiles.map((p) => (
						<tr key={p.key}>
							<td>
								<code>{p.key}</code>
							</td>
							<td class="num">{p.failures}</td>
							<td>{p.cooldownUntil ? <Time at={p.cooldownUntil} /> : '—'}</td>
							<td>
								{p.disabled ? (
									<span class="status status-failed">
										{p.disabled.reason}: {p.disabled.message}
									</span>
								) : (
									'—'
								)}
							</td>
							<td>{p.lastError ?? '—'}</td>
						</tr>
					))}
				</Table>
			)}
			{health.breakers.length === 0 ? (
				<p class="muted">No circuit breaker is kept.</p>
			) : (
				<Table
					columns={['Model', 'State', 'Failures', 'Trips', 'Open until']}
					caption="Circuit breakers"
				>
					{health.breakers.map((b) => (
						<tr key={b.key}>
							<td>
								<code>{b.key}</code>
							</td>
							<td>
								<span class={`status status-${b.state}`}>{b.state}</span>
							</td>
							<td class="num">{b.failures}</td>
							<td class="num">{b.trips}</td>
							<td>{b.state === 'closed' ? '—' : <Time at={b.openUntil} />}</td>
						</tr>
					))}
				</Table>
			)}
		</section>
	)
}

/** `GET /v1/provider-health`: the tenant's own keys and the shared keys it may use. */
export function TenantProviderHealth() {
	const health = useResource(
		(signal) => must(client.GET('/v1/provider-health', { signal }), signal),
		[],
	)
	return (
		<section aria-labelledby="provider-health-title">
			<h2 id="provider-health-title">Provider health</h2>
			<ResourceStatus resource={health} />
			{health.data && (
				<>
					<ScopeHealth title="Tenant keys" health={health.data.tenant} />
					<ScopeHealth title="Shared keys" health={health.data.shared} />
				</>
			)}
		</section>
	)
}

/** `GET /v1/admin/providers?scope=`: any scope, for the platform admin. */
export function AdminProviderHealth() {
	const [scope, setScope] = useState('shared')
	const [draft, setDraft] = useState(scope)
	const health = useResource(
		(signal) =>
			must(client.GET('/v1/admin/providers', { params: { query: { scope } }, signal }), signal),
		[scope],
	)
	return (
		<section aria-labelledby="admin-providers-title">
			<h2 id="admin-providers-title">Providers (platform)</h2>
			<Filters
				label="Provider scope"
				apply="Show scope"
				onApply={() => setScope(draft.trim() || 'shared')}
			>
				<label class="field">
					<span>Scope</span>
					<input
						value={draft}
						placeholder="shared or a tenant id"
						onInput={(e) => setDraft(e.currentTarget.value)}
					/>
				</label>
			</Filters>
			<ResourceStatus resource={health} />
			{health.data && <ScopeHealth title="Scope" health={health.data} />}
		</section>
	)
}
