// Keys page: the tenant's API keys (never their secrets); create one, revoke one (two steps),
// rotate one. Each action appears only when the signed-in principal may take it.
import { useState } from 'preact/hooks'
import { client, must } from '../api'
import { can } from '../session'
import { useAction } from '../ui/action'
import { ConfirmButton } from '../ui/confirm-button'
import { ErrorNotice, Page, Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'
import { type ApiKey, type CreatedKey, CreateKeyForm, SecretOnce } from './key-form'

export function keyState(key: ApiKey, now: number): 'revoked' | 'expired' | 'active' {
	if (key.revokedAt) return 'revoked'
	if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired'
	return 'active'
}

export function KeysPage() {
	const keys = useResource((signal) => must(client.GET('/v1/keys', { signal }), signal), [])
	const [fresh, setFresh] = useState<{ created: CreatedKey; verb: string } | null>(null)
	const action = useAction()
	const show = (created: CreatedKey, verb: string) => {
		setFresh({ created, verb })
		keys.reload()
	}
	const rotate = async (key: ApiKey) => {
		const created = await action.run(() =>
			must(client.POST('/v1/keys/{keyId}/rotate', { params: { path: { keyId: key.id } } })),
		)
		if (created) show(created, 'rotated')
	}
	const revoke = async (key: ApiKey) => {
		await action.run(() =>
			must(client.DELETE('/v1/keys/{keyId}', { params: { path: { keyId: key.id } } })),
		)
		keys.reload()
	}
	const mayRotate = can('keys:rotate')
	const mayRevoke = can('keys:revoke')
	const list = keys.data?.keys ?? []
	const now = Date.now()
	return (
		<Page title="Keys">
			{fresh && (
				<SecretOnce created={fresh.created} verb={fresh.verb} onDone={() => setFresh(null)} />
			)}
			{can('keys:create') && <CreateKeyForm onCreated={(created) => show(created, 'created')} />}
			<ErrorNotice error={action.error} />
			<ResourceStatus resource={keys} empty={list.length === 0 && 'No keys yet.'} />
			{list.length > 0 && (
				<Table
					columns={[
						'Name',
						'Id',
						'Role',
						'Scopes',
						'State',
						'Expires',
						'Last used',
						'Created',
						(mayRotate || mayRevoke) && 'Actions',
					]}
				>
					{list.map((k) => {
						const state = keyState(k, now)
						return (
							<tr key={k.id}>
								<td id={`key-${k.id}`}>{k.name}</td>
								<td>
									<code>{k.id}</code>
								</td>
								<td>{k.role}</td>
								<td>
									{k.scopes.length > 0 ? (
										k.scopes.join(', ')
									) : (
										<span class="muted">all of the role</span>
									)}
								</td>
								<td>
									<span class={`status status-${state}`}>{state}</span>
								</td>
								<td>
									{k.expiresAt ? <Time at={k.expiresAt} /> : <span class="muted">never</span>}
								</td>
								<td>
									<Time at={k.lastUsedAt} />
								</td>
								<td>
									<Time at={k.createdAt} />
								</td>
								{(mayRotate || mayRevoke) && (
									<td>
										<div class="row-actions">
											{state !== 'revoked' && mayRotate && (
												// Rotating revokes the old secret at once: two steps, like revoking.
												<ConfirmButton
													label="Rotate"
													disabled={action.busy}
													describedBy={`key-${k.id}`}
													onConfirm={() => rotate(k)}
												/>
											)}
											{state !== 'revoked' && mayRevoke && (
												<ConfirmButton
													label="Revoke"
													disabled={action.busy}
													describedBy={`key-${k.id}`}
													onConfirm={() => revoke(k)}
												/>
											)}
										</div>
									</td>
								)}
							</tr>
						)
					})}
				</Table>
			)}
		</Page>
	)
}
