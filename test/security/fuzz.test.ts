// 10,000 generated requests across every route — random methods, paths (templates with hostile
// segments, and garbage), query strings, credentials, content types, encodings and bodies. The
// gateway must never answer 5xx, and every error must be problem+json with a code and request id.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ROUTE_RULES } from '../../src/gateway/authz'
import { isOpenAIPath } from '../../src/gateway/routes/openai/errors'
import { ADMIN_TOKEN, call } from '../helpers'

const printable = fc.string({
	unit: fc.constantFrom(...' !#$%&()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~'.split('')),
	maxLength: 40,
})
const segment = fc.oneof(
	fc.constantFrom(
		'main',
		'x',
		'..',
		'.',
		'%2F',
		'%00',
		'ek_0000000000000000_aaaa',
		'a'.repeat(300),
		'0000000000000000',
		'-bad',
		'UPPER',
		'default',
		'_readiness',
	),
	fc.stringMatching(/^[A-Za-z0-9._~%-]{0,20}$/),
)
const path = fc.oneof(
	{
		weight: 4,
		arbitrary: fc
			.tuple(
				fc.constantFrom(...ROUTE_RULES.map(([, p]) => p)),
				fc.array(segment, { minLength: 2, maxLength: 2 }),
			)
			.map(([p, [a, b]]) => {
				let i = 0
				return p.replace(/\{\w+\}/g, () => (i++ === 0 ? (a as string) : (b as string)))
			}),
	},
	{ weight: 1, arbitrary: fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join('/')}`) },
	{
		weight: 1,
		arbitrary: fc.constantFrom(
			'/',
			'/v1',
			'/v1/',
			'/health',
			'/ready',
			'/openapi.json',
			'/v1//agents',
			'/v1/agents/',
			'/V1/agents',
		),
	},
)
const query = fc.option(
	fc.dictionary(
		fc.constantFrom('after', 'limit', 'agent', 'cursor', 'from', 'to', 'token', 'q', 'action'),
		printable,
		{ maxKeys: 3 },
	),
	{ nil: undefined },
)
const auth = fc.constantFrom<string | undefined>(
	`Bearer ${ADMIN_TOKEN}`,
	`Bearer ${ADMIN_TOKEN}`,
	`Bearer ${ADMIN_TOKEN}`,
	undefined,
	'Bearer nope',
	'Basic YTpi',
	`Bearer ek_${'a'.repeat(16)}_${'b'.repeat(43)}`,
	'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
	'Bearer ',
)
const contentType = fc.constantFrom<string | undefined>(
	'application/json',
	'application/json',
	'application/json; charset=utf-8',
	'text/plain',
	'application/x-www-form-urlencoded',
	'multipart/form-data; boundary=x',
	'application/json; charset=utf-16',
	'*/*',
	undefined,
)
const body = fc.oneof(
	fc.constant(undefined),
	fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
	fc
		.record(
			{
				content: fc.oneof(fc.string(), fc.constant('/slow 5 hi'), fc.constant('')),
				agent: fc.oneof(fc.constant('main'), printable),
				wait: fc.boolean(),
				mode: fc.constantFrom('followup', 'steer', 'collect', 'interrupt', 'shout'),
			},
			{ requiredKeys: [] },
		)
		.map((v) => JSON.stringify(v)),
	fc.string({ maxLength: 200 }),
	fc.uint8Array({ maxLength: 64 }),
)
const request = fc.record({
	method: fc.constantFrom(
		'GET',
		'GET',
		'POST',
		'POST',
		'PUT',
		'PATCH',
		'DELETE',
		'HEAD',
		'OPTIONS',
	),
	path,
	query,
	auth,
	contentType,
	encoding: fc.constantFrom<string | undefined>(undefined, undefined, 'gzip', 'br', 'identity'),
	tenant: fc.option(fc.constantFrom('default', 'other', 'BAD TENANT', '_x', 'a'.repeat(70)), {
		nil: undefined,
	}),
	requestId: fc.option(printable, { nil: undefined }),
	body,
})

describe('fuzzing every route', () => {
	it('answers 10,000 generated requests without a 5xx, every error as problem+json (OpenAI routes: their shape)', {
		timeout: 300_000,
	}, async () => {
		const statuses = new Map<number, number>()
		await fc.assert(
			fc.asyncProperty(request, async (r) => {
				const url = `${r.path}${r.query ? `?${new URLSearchParams(r.query)}` : ''}`
				const headers: Record<string, string> = {}
				if (r.auth) headers.authorization = r.auth
				if (r.contentType) headers['content-type'] = r.contentType
				if (r.encoding) headers['content-encoding'] = r.encoding
				if (r.tenant) headers['x-edgeclaw-tenant'] = r.tenant
				if (r.requestId) headers['x-request-id'] = r.requestId
				const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD'
				const res = await call(url, {
					method: r.method,
					headers,
					...(withBody ? { body: r.body } : {}),
				})
				statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
				expect(res.status, `${r.method} ${url}`).toBeLessThan(500)
				if (
					res.status >= 400 &&
					r.method !== 'HEAD' &&
					isOpenAIPath(new URL(`http://x${url}`).pathname)
				) {
					// The OpenAI-compatible routes answer in OpenAI's error shape instead.
					expect(res.headers.get('content-type'), `${r.method} ${url}`).toMatch(
						/^application\/json/,
					)
					const e = (await res.json()) as { error?: { message?: string; type?: string } }
					expect(typeof e.error?.message).toBe('string')
					expect(typeof e.error?.type).toBe('string')
					expect(res.headers.get('x-request-id')).toBeTruthy()
				} else if (res.status >= 400 && r.method !== 'HEAD') {
					expect(res.headers.get('content-type'), `${r.method} ${url}`).toBe(
						'application/problem+json',
					)
					const p = (await res.json()) as { code?: string; requestId?: string; status?: number }
					expect(typeof p.code).toBe('string')
					expect(p.requestId).toBe(res.headers.get('x-request-id'))
					expect(p.status).toBe(res.status)
				} else {
					await res.body?.cancel()
				}
			}),
			{ numRuns: 10_000 },
		)
		// The run reached past authentication and validation, not only the front door.
		const reached = [...statuses.entries()].filter(([s]) => s < 400).reduce((n, [, c]) => n + c, 0)
		expect(reached).toBeGreaterThan(300)
		console.log(
			'fuzz statuses',
			JSON.stringify(Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b))),
		)
	})
})
