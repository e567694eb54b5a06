// Who is signed in: `GET /v1/me` answers with the principal, its tenant and every action the policy
// engine allows it on the tenant's resources. The UI hides what is not allowed; the server still
// decides every request on its own.
import { signal } from '@preact/signals'
import { client, credentials, must, type Schemas } from './api'

export type Role = Me['principal']['role']

/**
 * `GET /v1/me`: the principal, how the request authenticated (`via`: a bearer token, or Cloudflare
 * Access's JWT) and the actions (`sessions:send`, `keys:create`, …) allowed on the tenant's resources.
 */
export type Me = Schemas['Me']

/** The signed-in principal; null = signed out (or not yet known). */
export const me = signal<Me | null>(null)

export const can = (action: string): boolean => me.value?.allowed.includes(action) ?? false

/**
 * Asks the server who we are: with the stored token, or with nothing (behind Cloudflare Access the
 * Access JWT authenticates). Resolves null when neither works.
 */
export async function loadMe(): Promise<Me | null> {
	try {
		me.value = await must(client.GET('/v1/me'))
	} catch {
		me.value = null
	}
	return me.value
}

/** Checks a token by asking `/v1/me` with it; keeps it only when the server accepts it. */
export async function signIn(token: string): Promise<Me> {
	credentials.signIn(token)
	try {
		const who = await must(client.GET('/v1/me'))
		me.value = who
		return who
	} catch (error) {
		credentials.signOut()
		throw error
	}
}

export function signOut(): void {
	credentials.signOut()
	me.value = null
}
