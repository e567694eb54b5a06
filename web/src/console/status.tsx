// Status page: readiness (`/ready`: D1 and a lane round trip, and which sandbox backends exist —
// a 503 names the failing checks), the deployed version (`/health`), and for those who may see
// them the model providers' key cooldowns and circuit breakers.
import { ApiError, client, must } from '../api'
import { can } from '../session'
import { ErrorNotice, Page, Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'
import { AdminProviderHealth, TenantProviderHealth } from './provider-health'

type Backend = 'available' | 'disabled' | 'unbound'

export interface Readiness {
	ready: boolean
	checks: Record<string, { ok: boolean; ms: number; reason?: string }>
	sandbox: Record<string, Backend> | null
	detail?: string
}

/** `/ready` as one shape whether it answered 200 or 503 (a problem carrying `checks`). */
export async function readReadiness(signal: AbortSignal): Promise<Readiness> {
	try {
		const ok = await must(client.GET('/ready', { signal }), signal)
		return { ready: true, checks: ok.checks, sandbox: ok.sandbox }
	} catch (error) {
		if (!(error instanceof ApiError) || error.code !== 'not_ready') throw error
		return {
			ready: false,
			checks: (error.body.checks ?? {}) as Readiness['checks'],
			sandbox: (error.body.sandbox ?? null) as Readiness['sandbox'],
			detail: error.detail,
		}
	}
}

export function StatusPage() {
	const ready = useResource(readReadiness, [])
	const health = useResource((signal) => must(client.GET('/health', { signal }), signal), [])
	const r = ready.data
	return (
		<Page
			title="Health"
			actions={
				<button
					type="button"
					onClick={() => {
						ready.reload()
						health.reload()
					}}
				>
					Refresh
				</button>
			}
		>
			<ErrorNotice error={health.error} />
			{health.data && (
				<p>
					Version <strong>{health.data.version}</strong>, answered at <Time at={health.data.time} />
					.
				</p>
			)}
			<section aria-labelledby="readiness-title">
				<h2 id="readiness-title">Readiness</h2>
				<ResourceStatus resource={ready} />
				{r && (
					<>
						{r.ready ? (
							<p role="status" class="ok">
								Ready.
							</p>
						) : (
							<p role="alert" class="error">
								{r.detail ?? 'Not ready.'}
							</p>
						)}
						<Table columns={['Check', 'Result', 'Time', 'Reason']} caption="Checks">
							{Object.entries(r.checks).map(([name, check]) => (
								<tr key={name}>
									<td>{name}</td>
									<td>
										<span class={`status status-${check.ok ? 'ok' : 'failed'}`}>
											{check.ok ? 'ok' : 'failed'}
										</span>
									</td>
									<td class="num">{Math.round(check.ms)} ms</td>
									<td>{check.reason ?? '—'}</td>
								</tr>
							))}
						</Table>
						{r.sandbox && (
							<Table columns={['Backend', 'State']} caption="Sandbox backends">
								{Object.entries(r.sandbox).map(([name, state]) => (
									<tr key={name}>
										<td>{name}</td>
										<td>
											<span class={`status status-${state}`}>{state}</span>
										</td>
									</tr>
								))}
							</Table>
						)}
					</>
				)}
			</section>
			{can('provider-health:read') && <TenantProviderHealth />}
			{can('providers:read') && <AdminProviderHealth />}
		</Page>
	)
}
