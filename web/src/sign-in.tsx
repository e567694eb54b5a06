// Sign-in: an API key or the admin token, checked against `/v1/me` before it is kept (in
// sessionStorage only). Behind Cloudflare Access this form never shows: Access authenticates.
import { useState } from 'preact/hooks'
import { ApiError } from './api'
import { signIn } from './session'
import { ErrorNotice } from './ui/kit'

export function SignIn() {
	const [token, setToken] = useState('')
	const [error, setError] = useState<unknown>(null)
	const [busy, setBusy] = useState(false)
	const submit = async (event: Event) => {
		event.preventDefault()
		setBusy(true)
		setError(null)
		try {
			await signIn(token.trim())
		} catch (e) {
			setError(e)
		} finally {
			setBusy(false)
		}
	}
	const refused = error instanceof ApiError && error.status === 401
	return (
		<main class="sign-in">
			<h1>edgeclaw</h1>
			{/* POST and no field name: even a submit without this script never puts the token in a URL. */}
			<form method="post" onSubmit={submit} aria-labelledby="sign-in-title">
				<h2 id="sign-in-title">Sign in</h2>
				<p class="hint">
					With an API key (<code>ek_…</code>) or the deployment's admin token. It stays in this tab
					only and is gone when you close it.
				</p>
				<label for="token">Token</label>
				<input
					id="token"
					type="password"
					autocomplete="off"
					required
					value={token}
					onInput={(e) => setToken(e.currentTarget.value)}
				/>
				<button type="submit" disabled={busy || token.trim() === ''}>
					Sign in
				</button>
				{refused ? (
					<p role="alert" class="error">
						That token was not accepted.
					</p>
				) : (
					error !== null && <ErrorNotice error={error} />
				)}
			</form>
		</main>
	)
}
