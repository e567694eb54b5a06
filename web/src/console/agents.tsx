// Agents page: the tenant's agents; one chosen (`?agent=<id>`) opens in the JSON editor with its
// version history below, `?new` opens an empty editor. The URL holds the choice, so it can be linked.
import { useLocation } from 'preact-iso'
import { client, must } from '../api'
import { can } from '../session'
import { Page, Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'
import { AgentEditor } from './agent-editor'
import { AgentVersions } from './agent-versions'

export function AgentsPage() {
	const { query, route } = useLocation()
	const agents = useResource((signal) => must(client.GET('/v1/agents', { signal }), signal), [])
	const creating = query.new !== undefined && can('agents:create')
	const chosen = creating ? undefined : query.agent
	const open = (id: string) => {
		agents.reload()
		route(`/agents?${new URLSearchParams({ agent: id })}`)
	}
	const list = agents.data?.agents ?? []
	return (
		<Page
			title="Agents"
			actions={
				can('agents:create') && (
					<button type="button" class="primary" onClick={() => route('/agents?new')}>
						New agent
					</button>
				)
			}
		>
			<ResourceStatus resource={agents} empty={list.length === 0 && 'No agents yet.'} />
			{list.length > 0 && (
				<Table columns={['Id', 'Name', 'Version', 'Primary model', 'Updated']}>
					{list.map((a) => (
						<tr key={a.id} aria-current={a.id === chosen ? 'true' : undefined}>
							<td>
								<a href={`/agents?${new URLSearchParams({ agent: a.id })}`}>{a.id}</a>
							</td>
							<td>{a.name}</td>
							<td class="num">{a.version}</td>
							<td>
								<code>{a.config.model.primary}</code>
							</td>
							<td>
								<Time at={a.updatedAt} />
							</td>
						</tr>
					))}
				</Table>
			)}
			{creating && <AgentEditor onSaved={(a) => open(a.id)} onCancel={() => route('/agents')} />}
			{chosen && <AgentDetail key={chosen} id={chosen} onSaved={() => agents.reload()} />}
		</Page>
	)
}

/** One agent, read fresh (its version is what a save expects), in the editor and its history. */
function AgentDetail(props: { id: string; onSaved: () => void }) {
	const agent = useResource(
		(signal) =>
			must(
				client.GET('/v1/agents/{agentId}', { params: { path: { agentId: props.id } }, signal }),
				signal,
			),
		[props.id],
	)
	const current = agent.data
	return (
		<div class="agent-detail">
			<ResourceStatus resource={agent} />
			{current && (
				<>
					<AgentEditor
						key={`${current.id}@${current.version}`}
						agent={current}
						readOnly={!can('agents:update')}
						onSaved={() => {
							agent.reload()
							props.onSaved()
						}}
						onReload={agent.reload}
					/>
					<AgentVersions current={current} />
				</>
			)}
		</div>
	)
}
