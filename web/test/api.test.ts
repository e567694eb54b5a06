// The app's one HTTP client and its sign-in: query strings without empty values, every failure an
// ApiError with the problem's code, a 401 telling the app to sign out, the token only ever in the
// Authorization header, and a token kept only when the server accepts it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, api, credentials, onUnauthorized, request, withQuery } from '../src/api'
import { me, signIn } from '../src/session'

const TOKEN = 'ek_k1_secret-value'

interface Sent {
	url: string
	headers: Headers
}

/** Stubs fetch with one answer (or a thrown error); returns what was sent. */
function answer(status: number, body: unknown, headers: Record<string, string> = {}): Sent[] {
	const sent: Sent[] = []
	vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
		sent.push({ url, headers: new Headers(init.headers) })
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

describe('withQuery', () => {
	it('drops empty values, keeps 0 and false, and adds no "?" when nothing is left', () => {
		expect(withQuery('/v1/x', { a: 'b c', n: 0, f: false, u: undefined, z: null, e: '' })).toBe(
			'/v1/x?a=b+c&n=0&f=false',
		)
		expect(withQuery('/v1/x', { u: undefined, e: '' })).toBe('/v1/x')
		expect(withQuery('/v1/x', undefined)).toBe('/v1/x')
	})
})

describe('request', () => {
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
		const error = await caught(api.put('/v1/agents/main', {}))
		expect(error).toMatchObject({
			status: 422,
			code: 'validation_failed',
			detail: 'The config is not valid.',
			requestId: 'req-1',
			errors: [{ path: 'config.model.primary', message: 'Required' }],
		})
	})

	it('names a non-JSON failure by its status, with the request id from the header', async () => {
		answer(502, '<html>Bad gateway</html>', { 'x-request-id': 'req-2' })
		const error = await caught(api.get('/v1/agents'))
		expect(error).toMatchObject({ status: 502, code: 'http_502', requestId: 'req-2', errors: [] })
	})

	it('tells the unauthorized listeners about a 401, and only a 401', async () => {
		const listener = vi.fn()
		const stop = onUnauthorized(listener)
		try {
			answer(403, { code: 'forbidden', detail: 'No.' })
			await caught(api.get('/v1/keys'))
			expect(listener).not.toHaveBeenCalled()
			answer(401, { code: 'unauthorized', detail: 'The token is not valid.' })
			expect((await caught(api.get('/v1/keys'))).code).toBe('unauthorized')
			expect(listener).toHaveBeenCalledOnce()
		} finally {
			stop()
		}
		await caught(api.get('/v1/keys'))
		expect(listener).toHaveBeenCalledOnce()
	})

	it('reports an unreachable gateway as network_error, and an abort as the abort', async () => {
		vi.stubGlobal('fetch', async () => {
			throw new TypeError('Failed to fetch')
		})
		expect(await caught(api.get('/v1/me'))).toMatchObject({ status: 0, code: 'network_error' })
		const controller = new AbortController()
		controller.abort()
		const aborted = await request('/v1/me', { signal: controller.signal }).catch((e) => e)
		expect(aborted).toBeInstanceOf(TypeError)
	})

	it('sends the token as a bearer Authorization header and never in the URL', async () => {
		credentials.signIn(TOKEN)
		credentials.setTenant('acme')
		const sent = answer(200, { ok: true })
		await api.get('/v1/sessions', { agent: 'main' })
		await api.post('/v1/sessions/k/messages', { content: 'hi' }, { agent: 'main' })
		for (const call of sent) {
			expect(call.headers.get('authorization')).toBe(`Bearer ${TOKEN}`)
			expect(call.headers.get('x-edgeclaw-tenant')).toBe('acme')
			expect(call.url).not.toContain(TOKEN)
		}
		expect(sent.map((c) => c.url)).toEqual([
			'/v1/sessions?agent=main',
			'/v1/sessions/k/messages?agent=main',
		])
		credentials.signOut()
		await api.get('/v1/me')
		expect(sent.at(-1)?.headers.has('authorization')).toBe(false)
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
		expect(sent[0]?.url).toBe('/v1/me')
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
