// Creating or replacing a channel: id and kind (both fixed once it exists), the agent it reaches,
// whether it is on, and its config as JSON. The config names tenant secrets and never holds one,
// so this form never asks for a secret's value.
import { useState } from 'preact/hooks'
import { ApiError, client, must, type Schemas } from '../api'
import { useAction } from '../ui/action'
import { errorsAt, FieldErrors, FormActions, JsonField, summaryOf, TextField } from '../ui/fields'
import { ErrorNotice } from '../ui/kit'
import { parseConfig, stableJson } from './config-json'

/** A channel as `GET /v1/channels/{id}` answers. */
export type Channel = Schemas['Channel']

/** What a new channel of each kind starts from: the secrets it names (stored beforehand). */
export const CHANNEL_TEMPLATES: Readonly<Record<string, Record<string, unknown>>> = {
	telegram: {
		secrets: { botToken: 'TG_BOT_TOKEN', webhookSecret: 'TG_WEBHOOK_SECRET' },
		botUsername: 'my_bot',
	},
	slack: { secrets: { botToken: 'SLACK_BOT_TOKEN', signingSecret: 'SLACK_SIGNING_SECRET' } },
	discord: { applicationId: '', publicKey: '' },
	webhook: { secrets: { signingSecret: 'WEBHOOK_SIGNING_SECRET' } },
}

const KINDS = Object.keys(CHANNEL_TEMPLATES)
const FIELDS = ['id', 'kind', 'agent', 'config', 'enabled'] as const

export function ChannelEditor(props: {
	/** Undefined = a new channel. */
	channel?: Channel
	readOnly?: boolean
	onSaved: (channel: Channel) => void
	onCancel?: () => void
}) {
	const { channel } = props
	const [id, setId] = useState('')
	const [kind, setKind] = useState(channel?.kind ?? 'telegram')
	const [agent, setAgent] = useState(channel?.agent ?? 'main')
	const [enabled, setEnabled] = useState(channel?.enabled ?? true)
	const [text, setText] = useState(stableJson(channel?.config ?? CHANNEL_TEMPLATES.telegram))
	const save = useAction()
	const parsed = parseConfig(text)
	const errors = errorsAt(save.error instanceof ApiError ? save.error.errors : [], FIELDS)
	const chooseKind = (next: string) => {
		// A config still as the last kind's template follows the kind; a typed one stays.
		if (text === stableJson(CHANNEL_TEMPLATES[kind])) setText(stableJson(CHANNEL_TEMPLATES[next]))
		setKind(next)
	}
	const submit = async (event: Event) => {
		event.preventDefault()
		if (!parsed.ok || props.readOnly) return
		const body = { kind, agent, config: parsed.config, enabled }
		const saved = await save.run(() =>
			must(
				channel
					? client.PUT('/v1/channels/{channelId}', {
							params: { path: { channelId: channel.id } },
							body,
						})
					: client.POST('/v1/channels', { body: { id, ...body } }),
			),
		)
		if (saved) props.onSaved(saved)
	}
	return (
		<form class="editor" onSubmit={submit} aria-labelledby="channel-editor-title">
			<h2 id="channel-editor-title">
				{channel ? `${props.readOnly ? 'Channel' : 'Edit'} ${channel.id}` : 'New channel'}
			</h2>
			{!channel && (
				<TextField id="channel-id" label="Id" value={id} errors={errors.id} onInput={setId} />
			)}
			<div class="field">
				<label for="channel-kind">Kind</label>
				{/* A channel's kind never changes: another kind is another channel. */}
				<select
					id="channel-kind"
					value={kind}
					disabled={channel !== undefined}
					aria-invalid={errors.kind.length > 0}
					aria-describedby={errors.kind.length > 0 ? 'channel-kind-errors' : undefined}
					onChange={(e) => chooseKind(e.currentTarget.value)}
				>
					{(KINDS.includes(kind) ? KINDS : [kind, ...KINDS]).map((k) => (
						<option key={k} value={k}>
							{k}
						</option>
					))}
				</select>
				<FieldErrors id="channel-kind-errors" errors={errors.kind} />
			</div>
			<TextField
				id="channel-agent"
				label="Agent"
				value={agent}
				readOnly={props.readOnly}
				errors={errors.agent}
				onInput={setAgent}
			/>
			<label class="check">
				<input
					type="checkbox"
					checked={enabled}
					disabled={props.readOnly}
					onChange={(e) => setEnabled(e.currentTarget.checked)}
				/>
				<span>Enabled</span>
			</label>
			<JsonField
				id="channel-config"
				otherId="channel-other-errors"
				text={text}
				parsed={parsed}
				errors={errors.config}
				otherErrors={[...errors.enabled, ...errors.other]}
				readOnly={props.readOnly}
				rows={12}
				onInput={setText}
			/>
			<p class="muted hint">
				A config names tenant secrets (
				<code>
					"secrets": {'{'} "botToken": "NAME" {'}'}
				</code>
				), never their values: store each with <code>PUT /v1/secrets/NAME</code> first.
			</p>
			<ErrorNotice error={summaryOf(save.error)} />
			<FormActions
				submit={!props.readOnly && (channel ? 'Save' : 'Create channel')}
				disabled={save.busy || !parsed.ok}
				onCancel={props.onCancel}
			/>
		</form>
	)
}
