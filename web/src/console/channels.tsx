// Channels page: which chat platform or signed webhook reaches which agent. One chosen
// (`?channel=<id>`) opens in the editor with its pairing and dead letters below; `?new` opens an
// empty editor. Register and Delete sit on each row, each only with its action.

import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { client, must, type Schemas } from '../api'
import { can } from '../session'
import { useAction } from '../ui/action'
import { ConfirmButton } from '../ui/confirm-button'
import { CopyButton, ErrorNotice, Page, Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'
import { DeadLetters, Pairing } from './channel-access'
import { type Channel, ChannelEditor } from './channel-editor'

/** What `POST /v1/channels/{id}/register` answers: the URL, and the steps left to do by hand. */
export type Registration = Schemas['ChannelRegistration']

const channelHref = (id: string) => `/channels?${new URLSearchParams({ channel: id })}`

export function ChannelsPage() {
	const { query, route } = useLocation()
	const channels = useResource((signal) => must(client.GET('/v1/channels', { signal }), signal), [])
	const action = useAction()
	const [registered, setRegistered] = useState<{ id: string; result: Registration } | null>(null)
	const creating = query.new !== undefined && can('channels:create')
	const chosenId = creating ? undefined : query.channel
	const list = channels.data?.channels ?? []
	const chosen = list.find((c) => c.id === chosenId)
	const register = async (c: Channel) => {
		setRegistered(null)
		const result = await action.run(() =>
			must(
				client.POST('/v1/channels/{channelId}/register', {
					params: { path: { channelId: c.id } },
				}),
			),
		)
		if (result) setRegistered({ id: c.id, result })
	}
	const remove = async (c: Channel) => {
		// A 204 has no body: `true` tells it apart from a failure (undefined).
		const done = await action.run(async () => {
			await must(
				client.DELETE('/v1/channels/{channelId}', { params: { path: { channelId: c.id } } }),
			)
			return true
		})
		if (!done) return
		if (registered?.id === c.id) setRegistered(null)
		if (chosenId === c.id) route('/channels')
		channels.reload()
	}
	const mayRegister = can('channels:register')
	const mayDelete = can('channels:delete')
	return (
		<Page
			title="Channels"
			actions={
				can('channels:create') && (
					<button type="button" class="primary" onClick={() => route('/channels?new')}>
						New channel
					</button>
				)
			}
		>
			{registered && (
				<RegistrationNotice
					id={registered.id}
					result={registered.result}
					onDone={() => setRegistered(null)}
				/>
			)}
			<ErrorNotice error={action.error} />
			<ResourceStatus resource={channels} empty={list.length === 0 && 'No channels yet.'} />
			{list.length > 0 && (
				<Table
					columns={[
						'Id',
						'Kind',
						'Agent',
						'State',
						'Created',
						'Updated',
						(mayRegister || mayDelete) && 'Actions',
					]}
				>
					{list.map((c) => (
						<tr key={c.id} aria-current={c.id === chosenId ? 'true' : undefined}>
							<td id={`channel-${c.id}`}>
								<a href={channelHref(c.id)}>{c.id}</a>
							</td>
							<td>{c.kind}</td>
							<td>{c.agent}</td>
							<td>
								<span class={`status status-${c.enabled ? 'enabled' : 'disabled'}`}>
									{c.enabled ? 'enabled' : 'disabled'}
								</span>
							</td>
							<td>
								<Time at={c.createdAt} />
							</td>
							<td>
								<Time at={c.updatedAt} />
							</td>
							{(mayRegister || mayDelete) && (
								<td>
									<div class="row-actions">
										{mayRegister && (
											<button
												type="button"
												disabled={action.busy}
												aria-describedby={`channel-${c.id}`}
												onClick={() => register(c)}
											>
												Register
											</button>
										)}
										{mayDelete && (
											<ConfirmButton
												label="Delete"
												disabled={action.busy}
												describedBy={`channel-${c.id}`}
												onConfirm={() => remove(c)}
											/>
										)}
									</div>
								</td>
							)}
						</tr>
					))}
				</Table>
			)}
			{creating && (
				<ChannelEditor
					onSaved={(c) => {
						channels.reload()
						route(channelHref(c.id))
					}}
					onCancel={() => route('/channels')}
				/>
			)}
			{chosenId && channels.data && !chosen && (
				<p class="muted">No channel {chosenId} in this tenant.</p>
			)}
			{chosen && (
				<div class="channel-detail" key={chosen.id}>
					<ChannelEditor
						key={`${chosen.id}@${chosen.updatedAt}`}
						channel={chosen}
						readOnly={!can('channels:update')}
						onSaved={() => channels.reload()}
					/>
					{can('channels:read') && (
						<>
							<Pairing channelId={chosen.id} />
							<DeadLetters channelId={chosen.id} />
						</>
					)}
				</div>
			)}
		</Page>
	)
}

/** A registration's outcome: the webhook URL to give the platform, and what is left to do. */
function RegistrationNotice(props: { id: string; result: Registration; onDone: () => void }) {
	const { result } = props
	return (
		<section class="editor registration" aria-labelledby="registration-title" role="status">
			<h2 id="registration-title">
				Channel {props.id} {result.registered ? 'registered' : 'needs a step by hand'}
			</h2>
			<div class="field">
				<label for="registration-url">Webhook URL</label>
				<div class="secret-row">
					<input id="registration-url" readOnly value={result.webhookUrl} />
					<CopyButton text={result.webhookUrl} />
				</div>
			</div>
			{result.instructions && (
				// The plugins send their steps one a line.
				<ol class="registration-steps" aria-label="Steps">
					{result.instructions
						.split('\n')
						.filter((line) => line.trim())
						.map((line) => (
							<li key={line}>{line}</li>
						))}
				</ol>
			)}
			<button type="button" onClick={props.onDone}>
				Done
			</button>
		</section>
	)
}
