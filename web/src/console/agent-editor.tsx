// Creating or replacing an agent: id, name and the config as JSON. A JSON mistake shows as it is
// typed; the server's validation errors show beside the field they name, each with its path. A
// replace sends the version it started from, so a concurrent change is a 412, not lost work.
import { useState } from 'preact/hooks'
import { ApiError, api, type FieldError, seg } from '../api'
import { useAction } from '../ui/action'
import { ErrorNotice } from '../ui/kit'
import { errorsByField, parseConfig, stableJson } from './config-json'

/** An agent as `GET /v1/agents/{id}` answers. */
export interface Agent {
	id: string
	tenantId: string
	name: string
	version: number
	config: Record<string, unknown>
	createdAt: string
	updatedAt: string
}

/** What a new agent starts from: the smallest config the schema accepts, answered by the echo model. */
export const NEW_AGENT_CONFIG = {
	instructions: 'You are a helpful assistant.',
	model: { primary: 'offline:echo' },
}

export function FieldErrors({ id, errors }: { id: string; errors: readonly FieldError[] }) {
	if (errors.length === 0) return null
	return (
		<ul id={id} class="field-errors">
			{errors.map((e) => (
				<li key={`${e.path}:${e.message}`}>
					<code>{e.path}</code> {e.message}
				</li>
			))}
		</ul>
	)
}

/** A required one-line field, with the server's errors for it listed below and linked to it. */
function TextField(props: {
	id: string
	label: string
	value: string
	readOnly?: boolean
	errors: readonly FieldError[]
	onInput: (value: string) => void
}) {
	const errorsId = `${props.id}-errors`
	return (
		<div class="field">
			<label for={props.id}>{props.label}</label>
			<input
				id={props.id}
				required
				readOnly={props.readOnly}
				value={props.value}
				aria-invalid={props.errors.length > 0}
				aria-describedby={props.errors.length > 0 ? errorsId : undefined}
				onInput={(e) => props.onInput(e.currentTarget.value)}
			/>
			<FieldErrors id={errorsId} errors={props.errors} />
		</div>
	)
}

/** The problem without its field list (the fields show their own errors next to them). */
const summaryOf = (error: unknown): unknown =>
	error instanceof ApiError
		? new ApiError(error.status, error.code, error.detail, error.requestId, [], error.body)
		: error

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
		const saved = await save.run(() =>
			agent
				? api.put<Agent>(`/v1/agents/${seg(agent.id)}`, {
						name,
						config: parsed.config,
						expectedVersion: agent.version,
					})
				: api.post<Agent>('/v1/agents', { id, name, config: parsed.config }),
		)
		if (saved) props.onSaved(saved)
	}
	const describe = (...ids: (string | false)[]) => ids.filter(Boolean).join(' ') || undefined
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
			<div class="field">
				<label for="agent-config">Config (JSON)</label>
				<textarea
					id="agent-config"
					class="code-input"
					rows={18}
					spellcheck={false}
					readOnly={props.readOnly}
					value={text}
					aria-invalid={!parsed.ok || fieldErrors.config.length > 0}
					aria-describedby={describe(
						!parsed.ok && 'agent-config-json',
						fieldErrors.config.length > 0 && 'agent-config-errors',
					)}
					onInput={(e) => setText(e.currentTarget.value)}
				/>
				<div aria-live="polite">
					{!parsed.ok && (
						<p id="agent-config-json" class="error">
							Not valid JSON: {parsed.message}
						</p>
					)}
				</div>
				<FieldErrors id="agent-config-errors" errors={fieldErrors.config} />
				<FieldErrors id="agent-other-errors" errors={fieldErrors.other} />
			</div>
			<ErrorNotice error={summaryOf(save.error)} />
			<div class="form-actions">
				{!props.readOnly && (
					<button type="submit" disabled={save.busy || !parsed.ok}>
						{agent ? 'Save' : 'Create agent'}
					</button>
				)}
				{stale && props.onReload && (
					<button type="button" onClick={props.onReload}>
						Load the current version
					</button>
				)}
				{props.onCancel && (
					<button type="button" onClick={props.onCancel}>
						Cancel
					</button>
				)}
			</div>
		</form>
	)
}
