// Tool executions page: every tool call of the tenant, newest first (`GET /v1/tool-executions`),
// filtered by agent and session, paged by cursor: where it ran, what was decided, how it ended.
import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { client, given, must, type Schemas } from '../api'
import { chatHref } from '../links'
import { Filters } from '../ui/filters'
import { ErrorNotice, Page, Time } from '../ui/kit'
import { ListStatus, LoadMore, usePaged } from '../ui/paged'
import { Table } from '../ui/table'
import { AgentSelect } from './agent-select'
import { formatBytes, formatDuration } from './format'

type ToolExecution = Schemas['ToolExecution']

export function ToolsPage() {
	const { query, path, route } = useLocation()
	const agent = query.agent ?? ''
	const session = query.session ?? ''
	const [sessionDraft, setSessionDraft] = useState(session)
	const filter = (next: { agent: string; session: string }) => {
		const params = new URLSearchParams()
		if (next.agent) params.set('agent', next.agent)
		if (next.session) params.set('session', next.session)
		const text = params.toString()
		route(text ? `${path}?${text}` : path, true)
	}
	const executions = usePaged<ToolExecution, number>(
		(cursor, signal) =>
			must(
				client.GET('/v1/tool-executions', {
					params: { query: { agent: given(agent), session: given(session), cursor, limit: 100 } },
					signal,
				}),
				signal,
			).then((r) => ({ items: r.executions, next: r.nextCursor })),
		[agent, session],
	)
	return (
		<Page title="Tool executions">
			<Filters
				label="Filters"
				apply="Apply filters"
				onApply={() => filter({ agent, session: sessionDraft.trim() })}
			>
				<AgentSelect value={agent} onChange={(next) => filter({ agent: next, session })} />
				<label class="field">
					<span>Session</span>
					<input value={sessionDraft} onInput={(e) => setSessionDraft(e.currentTarget.value)} />
				</label>
			</Filters>
			<ErrorNotice error={executions.error} />
			{executions.items.length > 0 && (
				<Table
					columns={[
						'Tool',
						'Status',
						'Placement',
						'Decision',
						'Duration',
						'Bytes in / out',
						'Session',
						'By',
						'Started',
					]}
				>
					{executions.items.map((x) => (
						<tr key={x.id}>
							<td>
								<code>{x.tool}</code>
							</td>
							<td>
								<span class={`status status-${x.status}`}>{x.status}</span>
								{x.code && (
									<>
										{' '}
										<code>{x.code}</code>
									</>
								)}
								{x.attempts > 1 && <span class="muted"> ({x.attempts} attempts)</span>}
							</td>
							<td>{x.placement ?? '—'}</td>
							<td>
								<span class={`status status-${x.decision}`}>{x.decision}</span>
								{x.policyId && <span class="muted"> by {x.policyId}</span>}
							</td>
							<td class="num">{formatDuration(x.durationMs)}</td>
							<td class="num">
								{formatBytes(x.bytesIn)} / {formatBytes(x.bytesOut)}
							</td>
							<td>
								<a href={chatHref(x.agentId, x.sessionKey)}>
									{x.agentId} / {x.sessionKey}
								</a>
							</td>
							<td>{x.principals.length > 0 ? x.principals.join(', ') : (x.actor ?? '—')}</td>
							<td>
								<Time at={x.startedAt} />
							</td>
						</tr>
					))}
				</Table>
			)}
			<ListStatus list={executions} empty="No tool executions match." />
			<LoadMore list={executions} />
		</Page>
	)
}
