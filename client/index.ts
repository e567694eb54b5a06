// The typed client of the edgeclaw HTTP API: `openapi-fetch` over the types generated from the
// gateway's own OpenAPI document (`schema.ts`). The CLI and the web app both speak to the gateway
// through it — every path, parameter and answer is checked against the routes at compile time.
//
//   const client = createEdgeclawClient({ baseUrl, token: () => token })
//   const { agents } = await must(client.GET('/v1/agents'))
//
// `must` turns an error answer into an `ApiError` carrying the problem's stable `code`, its detail,
// the request id and the fields at fault; a failure to reach the gateway is `network_error`.
//
// Written in erasable TypeScript only (no enums, no parameter properties): Node runs it as is.
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import type { components, paths } from './schema.ts'

export type { components, paths }
export type EdgeclawClient = Client<paths>
export type Problem = components['schemas']['Problem']

/** One field a validation error names: `path` is dotted (`config.model.primary`). */
export interface FieldError {
	path: string
	message: string
}

/** An RFC 9457 problem from the gateway (or a failure to reach it, code `network_error`). */
export class ApiError extends Error {
	override readonly name = 'ApiError'
	readonly status: number
	readonly code: string
	readonly detail: string
	readonly requestId: string | undefined
	readonly errors: FieldError[]
	readonly body: Record<string, unknown>
	constructor(
		status: number,
		code: string,
		detail: string,
		requestId: string | undefined,
		errors: FieldError[] = [],
		body: Record<string, unknown> = {},
	) {
		super(detail)
		this.status = status
		this.code = code
		this.detail = detail
		this.requestId = requestId
		this.errors = errors
		this.body = body
	}
}

/** The `ApiError` of an error answer, whose body openapi-fetch has read (JSON when it was). */
export function problemOf(response: Response, body: unknown): ApiError {
	const requestId = response.headers.get('x-request-id') ?? undefined
	const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
	// OpenAI-shaped errors (`/v1/chat/completions`, `/v1/models`) nest theirs under `error`.
	const nested =
		typeof fields.error === 'object' && fields.error !== null
			? (fields.error as Record<string, unknown>)
			: {}
	const code = fields.code ?? nested.code
	const detail = fields.detail ?? nested.message
	return new ApiError(
		response.status,
		typeof code === 'string' ? code : `http_${response.status}`,
		typeof detail === 'string' ? detail : response.statusText || `HTTP ${response.status}`,
		typeof fields.requestId === 'string' ? fields.requestId : requestId,
		Array.isArray(fields.errors) ? (fields.errors as FieldError[]) : [],
		fields,
	)
}

export interface ClientOptions {
	/** The gateway's origin (`https://edgeclaw.example.com`); `''` for the same origin (browser). */
	baseUrl: string
	/** The bearer token, read on every request (it may change: sign in, sign out). */
	token?: () => string | null | undefined
	/** The tenant the platform admin token acts in (`x-edgeclaw-tenant`). */
	tenant?: () => string | null | undefined
	/** Called on every 401 answer (the credentials are no longer good). */
	onUnauthorized?: () => void
	/** Headers every request carries (a CLI's `user-agent`). */
	headers?: Record<string, string>
	fetch?: typeof fetch
	credentials?: RequestInit['credentials']
}

/** A client of the gateway's API with the caller's credentials on every request. */
export function createEdgeclawClient(options: ClientOptions): EdgeclawClient {
	const client = createClient<paths>({
		baseUrl: options.baseUrl.replace(/\/+$/, ''),
		headers: { accept: 'application/json', ...options.headers },
		...(options.fetch ? { fetch: options.fetch } : {}),
		...(options.credentials ? { credentials: options.credentials } : {}),
	})
	const auth: Middleware = {
		onRequest({ request }) {
			const token = options.token?.()
			if (token) request.headers.set('authorization', `Bearer ${token}`)
			const tenant = options.tenant?.()
			if (tenant) request.headers.set('x-edgeclaw-tenant', tenant)
			return request
		},
		onResponse({ response }) {
			if (response.status === 401) options.onUnauthorized?.()
			return undefined
		},
	}
	client.use(auth)
	return client
}

/** What every openapi-fetch call resolves to: data, or the error answer's body. */
type Answer<D> = { data?: D; error?: unknown; response: Response }

/**
 * The data of a call, or an `ApiError`: the problem the gateway answered, or `network_error`
 * when it could not be reached (an aborted call rethrows its abort).
 */
export async function must<D>(
	call: Promise<Answer<D>>,
	signal?: AbortSignal,
): Promise<Exclude<D, undefined>> {
	let answer: Answer<D>
	try {
		answer = await call
	} catch (error) {
		if (signal?.aborted || (error instanceof Error && error.name === 'AbortError')) throw error
		const reason = error instanceof Error && error.message ? `: ${error.message}` : ''
		throw new ApiError(0, 'network_error', `The gateway could not be reached${reason}.`, undefined)
	}
	if (!answer.response.ok) throw problemOf(answer.response, answer.error)
	return answer.data as Exclude<D, undefined>
}
