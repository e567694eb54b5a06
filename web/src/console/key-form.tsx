// Creating a key (name, role, scopes, optional expiry), and the one place a new secret is shown:
// once, read-only, with a copy button, gone when dismissed and never fetched again.
import { useState } from 'preact/hooks'
import { client, must, type Schemas } from '../api'
import { me, type Role } from '../session'
import { useAction } from '../ui/action'
import { CopyButton, ErrorNotice } from '../ui/kit'
import { expiresInDays, grantableRoles, parseScopes, tomorrow } from './key-request'

/** A key as `GET /v1/keys` lists it (never its secret). */
export type ApiKey = Schemas['ApiKey']

/** `POST /v1/keys` and `…/rotate`: the key and its whole secret, this one time. */
export type CreatedKey = Schemas['CreatedApiKey']

export function CreateKeyForm({ onCreated }: { onCreated: (created: CreatedKey) => void }) {
	const roles = grantableRoles(me.value?.principal.role ?? 'viewer')
	const [name, setName] = useState('')
	const [role, setRole] = useState<Role>(roles.at(-1) ?? 'viewer')
	const [scopes, setScopes] = useState('')
	const [expiry, setExpiry] = useState('')
	const create = useAction()
	const expires = expiresInDays(expiry, new Date())
	const submit = async (event: Event) => {
		event.preventDefault()
		if (!expires.ok) return
		const created = await create.run(() =>
			must(
				client.POST('/v1/keys', {
					body: {
						name: name.trim(),
						role,
						scopes: parseScopes(scopes),
						...(expires.days !== undefined && { expiresInDays: expires.days }),
					},
				}),
			),
		)
		if (!created) return
		setName('')
		setScopes('')
		setExpiry('')
		onCreated(created)
	}
	return (
		<form class="inline-form" onSubmit={submit} aria-labelledby="new-key-title">
			<h2 id="new-key-title">New key</h2>
			<label class="field">
				<span>Name</span>
				<input
					required
					maxLength={100}
					value={name}
					onInput={(e) => setName(e.currentTarget.value)}
				/>
			</label>
			<label class="field">
				<span>Role</span>
				<select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
					{roles.map((r) => (
						<option key={r} value={r}>
							{r}
						</option>
					))}
				</select>
			</label>
			<label class="field">
				<span>Scopes</span>
				<input
					value={scopes}
					placeholder="sessions:*, agents:read"
					aria-describedby="scopes-hint"
					onInput={(e) => setScopes(e.currentTarget.value)}
				/>
			</label>
			<label class="field">
				<span>Expires</span>
				<input
					type="date"
					min={tomorrow(new Date())}
					value={expiry}
					aria-invalid={!expires.ok}
					aria-describedby="expiry-hint"
					onInput={(e) => setExpiry(e.currentTarget.value)}
				/>
			</label>
			<button type="submit" disabled={create.busy || !expires.ok || name.trim() === ''}>
				Create key
			</button>
			<p id="scopes-hint" class="hint">
				Scopes: comma-separated actions; empty = everything the role allows.
			</p>
			<p id="expiry-hint" class={expires.ok ? 'hint' : 'error'} aria-live="polite">
				{expires.ok ? 'Expires: optional; empty = never.' : expires.message}
			</p>
			<ErrorNotice error={create.error} />
		</form>
	)
}

/** The secret of a key just created or rotated. It lives in this component's props only. */
export function SecretOnce(props: { created: CreatedKey; verb: string; onDone: () => void }) {
	return (
		<section class="secret-once" aria-labelledby="secret-title">
			<h2 id="secret-title">
				Key {props.created.key.name} {props.verb}
			</h2>
			<label for="key-secret">Secret</label>
			<div class="secret-row">
				<input
					id="key-secret"
					readOnly
					value={props.created.secret}
					aria-describedby="secret-note"
					onFocus={(e) => e.currentTarget.select()}
				/>
				<CopyButton text={props.created.secret} />
			</div>
			<p id="secret-note">
				<strong>It will not be shown again.</strong> Copy it now and keep it somewhere safe; the
				gateway stores only its hash.
			</p>
			<button type="button" onClick={props.onDone}>
				Done
			</button>
		</section>
	)
}
