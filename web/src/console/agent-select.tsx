// The "Agent" combobox the console's lists filter by: the tenant's agents (when the principal may
// list them), with "All agents" first unless one is required; a value not in the list (from a
// link) is kept as an option.
import { client, must } from '../api'
import { can } from '../session'
import { useResource } from '../ui/kit'

export function AgentSelect(props: {
	value: string
	onChange: (agent: string) => void
	/** The first option's text; the empty value means no filter. */
	allLabel?: string
	/** One agent must be chosen: no "All agents" option. */
	required?: boolean
}) {
	const agents = useResource(
		(signal) =>
			can('agents:list')
				? must(client.GET('/v1/agents', { signal }), signal).then((r) => r.agents.map((a) => a.id))
				: Promise.resolve([] as string[]),
		[],
	)
	const ids = agents.data ?? []
	const options = props.value && !ids.includes(props.value) ? [props.value, ...ids] : ids
	return (
		<label class="field">
			<span>Agent</span>
			<select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
				{!props.required && <option value="">{props.allLabel ?? 'All agents'}</option>}
				{options.map((id) => (
					<option key={id} value={id}>
						{id}
					</option>
				))}
			</select>
		</label>
	)
}
