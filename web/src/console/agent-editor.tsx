// Creating or replacing an agent: id, name and the config as JSON. A JSON mistake shows as it is
// typed; the server's validation errors show beside the field they name, each with its path. A
// replace sends the version it started from, so a concurrent change is a 412, not lost work.
import { useState } from 'preact/hooks'
import { ApiError, client, must, type Schemas } from '../api'
import { useAction } from '../ui/action'
import { FormActions, JsonField, summaryOf, TextField } from '../ui/fields'
import { ErrorNotice } from '../ui/kit'
import { errorsByField, parseConfig, stableJson } from './config-json'

/** An agent as `GET /v1/agents/{id}` answers. */
export type Agent = Schemas['Agent']

type AgentConfig = Schemas['CreateAgent']['config']

/** What a new agent starts from: the smallest config the schema accepts, answered by the echo model. */
export const NEW_AGENT_CONFIG = {
	instructions: 'You are a helpful assistant.',
	model: { primary: 'offline:echo' },
} satisfies AgentConfig

export function AgentEditor(props: {
	/** Undefined = a new agent. */
	agent?: Agent
	readOnly?: boolean
	onSaved: (agent: Agent) => void
	onCancel?: () => void
	/** Offered after a 412: load the version someone else saved. */
	onReload?: () => void
}) {
	const { agent } = props
	const [id, setId] = useState('')
	const [name, setName] = useState(agent?.name ?? '')
	const [text, setText] = useState(stableJson(agent?.config ?? NEW_AGENT_CONFIG))
	const save = useAction()
	const parsed = parseConfig(text)
	const fieldErrors = errorsByField(save.error instanceof ApiError ? save.error.errors : [])
	const stale = save.error instanceof ApiError && save.error.code === 'precondition_failed'
	const submit = async (event: Event) => {
		event.preventDefault()
		if (!parsed.ok || props.readOnly) return
		// The JSON as typed: the server validates it, and a 422 names each field at fault.
		const config = parsed.config as AgentConfig
		const saved = await save.run(() =>
			must(
				agent
					? client.PUT('/v1/agents/{agentId}', {
							params: { path: { agentId: agent.id } },
							body: { name, config, expectedVersion: agent.version },
						})
					: client.POST('/v1/agents', { body: { id, name, config } }),
			),
		)
		if (saved) props.onSaved(saved)
	}
	return (
		<form class="editor" onSubmit={submit} aria-labelledby="agent-editor-title">
			<h2 id="agent-editor-title">
				{agent
					? `${props.readOnly ? 'Agent' : 'Edit'} ${agent.id} (version ${agent.version})`
					: 'New agent'}
			</h2>
			{!agent && (
				<TextField id="agent-id" label="Id" value={id} errors={fieldErrors.id} onInput={setId} />
			)}
			<TextField
				id="agent-name"
				label="Name"
				value={name}
				readOnly={props.readOnly}
				errors={fieldErrors.name}
				onInput={setName}
			/>
			<JsonField
				id="agent-config"
				otherId="agent-other-errors"
				text={text}
				parsed={parsed}
				errors={fieldErrors.config}
				otherErrors={fieldErrors.other}
				readOnly={props.readOnly}
				onInput={setText}
			/>
			<ErrorNotice error={summaryOf(save.error)} />
			<FormActions
				submit={!props.readOnly && (agent ? 'Save' : 'Create agent')}
				disabled={save.busy || !parsed.ok}
				onCancel={props.onCancel}
			>
				{stale && props.onReload && (
					<button type="button" onClick={props.onReload}>
						Load the current version
					</button>
				)}
			</FormActions>
		</form>
	)
}
