// Property-based tests: whatever arrives, the gateway answers 2xx or a 4xx problem+json, never a
// 5xx; parsers and the redactor hold their promises for arbitrary input.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { acceptRequestId } from '../../src/gateway/middleware/request-context'
import { createRedactor } from '../../src/security/redact'
import { bearerToken } from '../../src/security/tokens'
import { ADMIN_TOKEN, call } from '../helpers'

const paths = fc.oneof(
	fc.constantFrom(
		'/health',
		'/ready',
		'/openapi.json',
		'/v1/tenants',
		'/v1/tenants/default',
		'/v1/agents',
		'/v1/agents/main',
		'/v1/agents/%00',
		'/v1/sessions',
		'/v1/sessions/fuzz',
		'/v1/sessions/fuzz/messages',
		'/v1/sessions/fuzz/runs/abc',
		'/v1/sessions/fuzz/runs/abc/cancel',
		'/v1/sessions/fuzz/reset',
		'/v1/sessions/fuzz/export',
		'/v1/sessions/fuzz/events?after=x',
		'/v1/sessions/fuzz/ws',
		'/v1/me',
		'/v1/approvals',
		'/v1/approvals?limit=0&agent=_x',
		'/chat',
		'/v1/sessions/%2e%2e/messages',
		'/v1/tenants/..%2f..%2f',
		'/',
		'//v1//agents',
	),
	fc
		.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/), { minLength: 1, maxLength: 4 })
		.map((segments) => `/${segments.join('/')}`),
	fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/).map((id) => `/v1/tenants/${id}`),
)

const bodies = fc.oneof(
	fc.constant(undefined),
	fc.json().map((j) => new TextEncoder().encode(j)),
	fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify({ id: v, name: v }))),
	fc
		.record({ id: fc.string(), name: fc.string() })
		.map((r) => new TextEncoder().encode(JSON.stringify(r))),
	fc.uint8Array({ maxLength: 256 }),
)

const headers = fc.record(
	{
		'content-type': fc.constantFrom(
			'application/json',
			'application/json; charset=utf-8',
			'application/problem+json',
			'text/plain',
			'multipart/form-data; boundary=x',
			'application/x-www-form-urlencoded',
			'',
		),
		authorization: fc.constantFrom(
			`Bearer ${ADMIN_TOKEN}`,
			'Bearer wrong',
			'Basic abc',
			'',
			`bearer ${ADMIN_TOKEN}`,
		),
		'x-request-id': fc.stringMatching(/^[\x21-\x7e]{0,140}$/),
		'x-edgeclaw-tenant': fc.constantFrom('default', 'ghost', '_bad', 'UPPER', ''),
	},
	{ requiredKeys: [] },
)

describe('gateway under arbitrary requests', () => {
	it('never answers 5xx, and every error is problem+json with code and request id', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
				paths,
				headers,
				bodies,
				async (method, path, hdrs, body) => {
					const init: RequestInit = { method, headers: hdrs }
					if (body !== undefined && method !== 'GET' && method !== 'HEAD') init.body = body
					const res = await call(path, init)
					expect(res.status).toBeLessThan(500)
					if (res.status >= 400 && method !== 'HEAD') {
						expect(res.headers.get('content-type')).toBe('application/problem+json')
						const problem = (await res.json()) as {
							code: string
							requestId: string
							status: number
						}
						expect(problem.status).toBe(res.status)
						expect(problem.code).toMatch(/^[a-z_]+$/)
						expect(problem.requestId).toBe(res.headers.get('x-request-id'))
					} else {
						await res.body?.cancel()
					}
				},
			),
			{ numRuns: 400 },
		)
	})
})

describe('parsers', () => {
	it('acceptRequestId returns the input or nothing, and only safe ids', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 200 }), (s) => {
				const id = acceptRequestId(s)
				if (id !== undefined) {
					expect(id).toBe(s)
					expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
				}
			}),
		)
	})

	it('bearerToken returns a printable token without spaces or nothing', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 100 }), (s) => {
				const token = bearerToken(s)
				if (token !== undefined) expect(token).toMatch(/^[\x21-\x7e]+$/)
			}),
		)
	})

	it('bearerToken round-trips every printable token', () => {
		fc.assert(
			fc.property(fc.stringMatching(/^[\x21-\x7e]{1,80}$/), (token) => {
				expect(bearerToken(`Bearer ${token}`)).toBe(token)
			}),
		)
	})
})

describe('redaction', () => {
	it('never lets a known secret through, wherever it is embedded', () => {
		fc.assert(
			fc.property(
				fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/),
				fc.string(),
				fc.string(),
				fc.constantFrom('msg', 'detail', 'nested'),
				(secret, before, after, key) => {
					const redact = createRedactor([secret])
					const value = `${before}${secret}${after}`
					const out = JSON.stringify(
						redact({ [key]: value, list: [value], deep: { a: { b: value } } }),
					)
					expect(out).not.toContain(secret)
				},
			),
		)
	})
})
