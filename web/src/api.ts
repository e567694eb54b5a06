// The app's one way to the gateway's HTTP API: same origin, `Authorization: Bearer <token>` when
// signed in with a token (behind Cloudflare Access the Access cookie authenticates instead), the
// chosen tenant for the platform admin, and every error as an `ApiError` carrying the problem's
// stable `code`, its detail, the request id and — for validation errors — the fields at fault.

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

/** One field a validation error names: `path` is dotted (`config.model.primary`). */
export interface FieldError {
	path: string
	message: string
}

/** An RFC 9457 problem from the gateway (or a network failure, code `network_error`). */
export class ApiError extends Error {
	override readonly name = 'ApiError'
	constructor(
		readonly status: number,
		readonly code: string,
		readonly detail: string,
		readonly requestId: string | undefined,
		readonly errors: FieldError[] = [],
		readonly body: Record<string, unknown> = {},
	) {
		super(detail)
	}
}

export type Query = Record<string, string | number | boolean | undefined | null>

export interface RequestOptions {
	method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
	query?: Query
	body?: unknown
	signal?: AbortSignal
	/** Return the raw response (downloads); errors still throw. */
	raw?: boolean
}

/** Headers every call carries: the bearer token and the admin's tenant. */
export function authHeaders(): Record<string, string> {
	const headers: Record<string, string> = {}
	const token = credentials.token()
	if (token) headers.authorization = `Bearer ${token}`
	const tenant = credentials.tenant()
	if (tenant) headers['x-edgeclaw-tenant'] = tenant
	return headers
}

export function withQuery(path: string, query: Query | undefined): string {
	if (!query) return path
	const params = new URLSearchParams()
	for (const [name, value] of Object.entries(query)) {
		if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
	}
	const text = params.toString()
	return text ? `${path}?${text}` : path
}

async function problemOf(res: Response): Promise<ApiError> {
	const requestId = res.headers.get('x-request-id') ?? undefined
	let body: Record<string, unknown> = {}
	try {
		body = (await res.json()) as Record<string, unknown>
	} catch {
		// Not JSON (a proxy's page): the status says enough.
	}
	const errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : []
	return new ApiError(
		res.status,
		typeof body.code === 'string' ? body.code : `http_${res.status}`,
		typeof body.detail === 'string' ? body.detail : res.statusText || `HTTP ${res.status}`,
		typeof body.requestId === 'string' ? body.requestId : requestId,
		errors,
		body,
	)
}

/** Listeners told when the server says the credentials are no longer good (401). */
const unauthorized = new Set<() => void>()
export function onUnauthorized(listener: () => void): () => void {
	unauthorized.add(listener)
	return () => unauthorized.delete(listener)
}

export async function request(
	path: string,
	options: RequestOptions & { raw: true },
): Promise<Response>
export async function request<T>(path: string, options?: RequestOptions): Promise<T>
export async function request<T>(
	path: string,
	options: RequestOptions = {},
): Promise<T | Response> {
	const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() }
	let body: string | undefined
	if (options.body !== undefined) {
		headers['content-type'] = 'application/json'
		body = JSON.stringify(options.body)
	}
	let res: Response
	try {
		res = await fetch(withQuery(path, options.query), {
			method: options.method ?? 'GET',
			headers,
			body,
			signal: options.signal,
			credentials: 'same-origin',
		})
	} catch (error) {
		if (options.signal?.aborted) throw error
		throw new ApiError(0, 'network_error', 'The gateway could not be reached.', undefined)
	}
	if (!res.ok) {
		const problem = await problemOf(res)
		if (res.status === 401) for (const listener of unauthorized) listener()
		throw problem
	}
	if (options.raw) return res
	if (res.status === 204) return undefined as T
	return (await res.json()) as T
}

export const api = {
	get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
		request<T>(path, { query, signal }),
	post: <T>(path: string, body?: unknown, query?: Query) =>
		request<T>(path, { method: 'POST', body: body ?? {}, query }),
	put: <T>(path: string, body: unknown, query?: Query) =>
		request<T>(path, { method: 'PUT', body, query }),
	patch: <T>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body }),
	delete: <T>(path: string, query?: Query) => request<T>(path, { method: 'DELETE', query }),
}

/** `encodeURIComponent` for one path segment (session keys may hold `:` and `/`). */
export const seg = (value: string): string => encodeURIComponent(value)
