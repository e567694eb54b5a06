// The app's one HTTP client and its sign-in: same-origin URLs with path segments encoded and empty
// filters left out, every failure an ApiError with the problem's code, a 401 telling the app to
// sign out, the token only ever in the Authorization header, and a token kept only when the server
// accepts it.
import { ApiError as ClientApiError } from '@edgeclaw/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, client, credentials, given, must, onUnauthorized } from '../src/api'
import { me, signIn } from '../src/session'

const TOKEN = 'ek_k1_secret-value'

interface Sent {
	url: string
	method: string
	headers: Headers
	body: string
}

/** Stubs fetch with one answer; returns what was sent (the client hands fetch one Request). */
function answer(status: number, body: unknown, headers: Record<string, string> = {}): Sent[] {
	const sent: Sent[] = []
	vi.stubGlobal('fetch', async (request: Request) => {
		sent.push({
			url: request.url,
			method: request.method,
			headers: request.headers,
			body: await request.text(),
		})
		const text = typeof body === 'string' ? body : JSON.stringify(body)
		return new Response(status === 204 ? null : text, { status, headers })
	})
	return sent
}

const caught = async (promise: Promise<unknown>): Promise<ApiError> => {
	const error = await promise.then(
		() => null,
		(e: unknown) => e,
	)
	expect(error).toBeInstanceOf(ApiError)
	return error as ApiError
}

afterEach(() => {
	vi.unstubAllGlobals()
	credentials.signOut()
	me.value = null
})

describe('client', () => {
	it('asks the page origin, with path segments encoded and empty filters left out', async () => {
		const sent = answer(200, { sessionKey: 'a/b:c' })
		await must(
			client.GET('/v1/sessions/{sessionKey}', {
				params: { path: { sessionKey: 'a/b:c d' }, query: { agent: 'main' } },
			}),
		)
		await must(
			client.GET('/v1/sessions', {
				params: { query: { agent: given(''), cursor: undefined, limit: 0 } },
			}),
		)
		expect(sent.map((c) => c.url)).toEqual([
			`${location.origin}/v1/sessions/a%2Fb%3Ac%20d?agent=main`,
			`${location.origin}/v1/sessions?limit=0`,
		])
	})

	it('sends a JSON body with its content type, and none without a body', async () => {
		const sent = answer(200, { runId: 'r1' })
		await must(
			client.POST('/v1/sessions/{sessionKey}/messages', {
				params: { path: { sessionKey: 'k' } },
				body: { agent: 'main', content: 'hi' },
			}),
		)
		await must(
			client.POST('/v1/sessions/{sessionKey}/reset', {
				params: { path: { sessionKey: 'k' }, query: { agent: 'main' } },
			}),
		)
		expect(sent.map((c) => [c.method, c.headers.get('content-type'), c.body])).toEqual([
			['POST', 'application/json', '{"agent":"main","content":"hi"}'],
			['POST', null, ''],
		])
		expect(sent.every((c) => c.headers.get('accept') === 'application/json')).toBe(true)
	})

	it('turns a problem+json answer into an ApiError with its code, detail, request id and fields', async () => {
		answer(
			422,
			{
				type: 'about:blank',
				code: 'validation_failed',
				detail: 'The config is not valid.',
				requestId: 'req-1',
				errors: [{ path: 'config.model.primary', message: 'Required' }],
			},
			{ 'content-type': 'application/problem+json' },
		)
		const error = await caught(
			must(
				client.PUT('/v1/agents/{agentId}', {
					params: { path: { agentId: 'main' } },
					body: { name: 'Main', config: { model: { primary: '' } } },
				}),
			),
		)
		expect(error).toMatchObject({
			status: 422,
			code: 'validation_failed',
			detail: 'The config is not valid.',
			requestId: 'req-1',
			errors: [{ path: 'config.model.primary', message: 'Required' }],
		})
		// The app's ApiError is the shared client's: one class for every `instanceof`.
		expect(error).toBeInstanceOf(ClientApiError)
	})

	it('names a non-JSON failure by its status, with the request id from the header', async () => {
		answer(502, '<html>Bad gateway</html>', { 'x-request-id': 'req-2' })
		const error = await caught(must(client.GET('/v1/agents')))
		expect(error).toMatchObject({ status: 502, code: 'http_502', requestId: 'req-2', errors: [] })
	})

	it('tells the unauthorized listeners about a 401, and only a 401', async () => {
		const listener = vi.fn()
		const stop = onUnauthorized(listener)
		try {
			answer(403, { code: 'forbidden', detail: 'No.' })
			await caught(must(client.GET('/v1/keys')))
			expect(listener).not.toHaveBeenCalled()
			answer(401, { code: 'unauthorized', detail: 'The token is not valid.' })
			expect((await caught(must(client.GET('/v1/keys')))).code).toBe('unauthorized')
			expect(listener).toHaveBeenCalledOnce()
		} finally {
			stop()
		}
		await caught(must(client.GET('/v1/keys')))
		expect(listener).toHaveBeenCalledOnce()
	})

	it('reports an unreachable gateway as network_error, and an abort as the abort', async () => {
		vi.stubGlobal('fetch', async () => {
			throw new TypeError('Failed to fetch')
		})
		expect(await caught(must(client.GET('/v1/me')))).toMatchObject({
			status: 0,
			code: 'network_error',
		})
		const controller = new AbortController()
		controller.abort()
		const { signal } = controller
		const aborted = await must(client.GET('/v1/me', { signal }), signal).catch((e) => e)
		expect(aborted).toBeInstanceOf(TypeError)
	})

	it('sends the token as a bearer Authorization header and never in the URL', async () => {
		credentials.signIn(TOKEN)
		credentials.setTenant('acme')
		const sent = answer(200, { ok: true })
		await must(client.GET('/v1/sessions', { params: { query: { agent: 'main' } } }))
		await must(
			client.POST('/v1/sessions/{sessionKey}/approvals/{approvalId}', {
				params: { path: { sessionKey: 'k', approvalId: 'a1' }, query: { agent: 'main' } },
				body: { decision: 'deny' },
			}),
		)
		for (const call of sent) {
			expect(call.headers.get('authorization')).toBe(`Bearer ${TOKEN}`)
			expect(call.headers.get('x-edgeclaw-tenant')).toBe('acme')
			expect(call.url).not.toContain(TOKEN)
		}
		expect(sent.map((c) => new URL(c.url)).map((u) => u.pathname + u.search)).toEqual([
			'/v1/sessions?agent=main',
			'/v1/sessions/k/approvals/a1?agent=main',
		])
		credentials.signOut()
		await must(client.GET('/v1/me'))
		expect(sent.at(-1)?.headers.has('authorization')).toBe(false)
		expect(sent.at(-1)?.headers.has('x-edgeclaw-tenant')).toBe(false)
	})
})

describe('signIn', () => {
	const who = {
		principal: { kind: 'api-key', id: 'k1', role: 'member', tenantId: 'default', scopes: [] },
		via: 'token',
		allowed: ['sessions:send'],
	}

	it('keeps the token when /v1/me accepts it', async () => {
		const sent = answer(200, who)
		await expect(signIn(TOKEN)).resolves.toEqual(who)
		expect(sent[0]?.url).toBe(`${location.origin}/v1/me`)
		expect(sent[0]?.headers.get('authorization')).toBe(`Bearer ${TOKEN}`)
		expect(credentials.token()).toBe(TOKEN)
		expect(me.value).toEqual(who)
		expect(localStorage.length).toBe(0)
	})

	it('forgets the token when /v1/me refuses it, and says why', async () => {
		answer(401, { code: 'unauthorized', detail: 'The token is not valid.' })
		expect((await caught(signIn(TOKEN))).code).toBe('unauthorized')
		expect(credentials.token()).toBeNull()
		expect(me.value).toBeNull()
	})
})
