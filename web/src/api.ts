// The app's one way to the gateway's HTTP API: the shared typed client (`@edgeclaw/client`,
// openapi-fetch over the types generated from the gateway's OpenAPI document), same origin,
// `Authorization: Bearer <token>` when signed in with a token (behind Cloudflare Access the Access
// cookie authenticates instead), the chosen tenant for the platform admin. `must(call)` turns every
// error answer into an `ApiError` carrying the problem's stable `code`, its detail, the request id
// and — for validation errors — the fields at fault.
//
//   const { agents } = await must(client.GET('/v1/agents', { signal }), signal)
import { type components, createEdgeclawClient } from '@edgeclaw/client'

export { ApiError, type FieldError, must, type paths } from '@edgeclaw/client'

/** The API's named shapes (`Schemas['Agent']`), generated from the gateway's OpenAPI document. */
export type Schemas = components['schemas']

const TOKEN_KEY = 'edgeclaw.token'
const TENANT_KEY = 'edgeclaw.tenant'

/**
 * Where the token lives: `sessionStorage` only — gone when the tab closes, never in a URL, never in
 * `localStorage`, never in a cookie the server would have to guard.
 */
export const credentials = {
	token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
	/** The tenant the platform admin acts in (`x-edgeclaw-tenant`); null = the default tenant. */
	tenant: (): string | null => sessionStorage.getItem(TENANT_KEY),
	signIn(token: string): void {
		sessionStorage.setItem(TOKEN_KEY, token)
	},
	setTenant(tenant: string | null): void {
		if (tenant) sessionStorage.setItem(TENANT_KEY, tenant)
		else sessionStorage.removeItem(TENANT_KEY)
	},
	signOut(): void {
		sessionStorage.removeItem(TOKEN_KEY)
		sessionStorage.removeItem(TENANT_KEY)
	},
}

/** Listeners told when the server says the credentials are no longer good (401). */
const unauthorized = new Set<() => void>()
export function onUnauthorized(listener: () => void): () => void {
	unauthorized.add(listener)
	return () => unauthorized.delete(listener)
}

/**
 * The gateway's API, typed by path. `baseUrl: ''` makes every URL a path (`/v1/agents?…`), which
 * the browser's `Request` resolves against the page: always the app's own origin.
 */
export const client = createEdgeclawClient({
	baseUrl: '',
	token: credentials.token,
	tenant: credentials.tenant,
	onUnauthorized: () => {
		for (const listener of unauthorized) listener()
	},
	credentials: 'same-origin',
	// The global fetch as it is at each call, not as it was when this module loaded (openapi-fetch
	// keeps the one it is given; the tests stub the global per test).
	fetch: (input, init) => fetch(input, init),
})

/**
 * A filter's value as a query parameter: an empty field is no filter, left out of the URL rather
 * than sent as `name=` (openapi-fetch leaves out only undefined and null).
 */
export const given = (value: string): string | undefined => value || undefined
