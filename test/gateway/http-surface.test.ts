// Secure headers, CORS from configuration, and the OpenAPI document matching the routes.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { parseOrigins } from '../../src/gateway/middleware/cors'
import { call } from '../helpers'

describe('secure headers', () => {
	it('sets the usual protections on every response, errors included', async () => {
		for (const path of ['/health', '/nothing-here']) {
			const res = await call(path)
			expect(res.headers.get('x-content-type-options')).toBe('nosniff')
			expect(res.headers.get('strict-transport-security')).toContain('max-age=')
			expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
			expect(res.headers.get('referrer-policy')).toBe('no-referrer')
		}
	})
})

describe('CORS', () => {
	const preflight = (origin: string) => ({
		method: 'OPTIONS',
		headers: {
			origin,
			'access-control-request-method': 'POST',
			'access-control-request-headers': 'content-type',
		},
	})

	it('grants nothing when no origins are configured', async () => {
		const res = await call('/v1/agents', preflight('https://app.example'))
		expect(res.headers.get('access-control-allow-origin')).toBeNull()
	})

	it('allows only configured origins', async () => {
		const app = createGateway()
		const cfg = { ...env, EDGECLAW_CORS_ORIGINS: 'https://app.example, https://admin.example/' }
		const ok = await app.request('/v1/agents', preflight('https://admin.example'), cfg)
		expect(ok.status).toBe(204)
		expect(ok.headers.get('access-control-allow-origin')).toBe('https://admin.example')
		expect(ok.headers.get('access-control-allow-credentials')).toBeNull()
		const denied = await app.request('/v1/agents', preflight('https://evil.example'), cfg)
		expect(denied.headers.get('access-control-allow-origin')).toBeNull()
		const simple = await app.request('/health', { headers: { origin: 'https://app.example' } }, cfg)
		expect(simple.headers.get('access-control-allow-origin')).toBe('https://app.example')
		expect(simple.headers.get('access-control-expose-headers')).toContain('x-request-id')
	})

	it('parses the origin list', () => {
		expect(parseOrigins(' https://a.example/ ,,https://b.example ')).toEqual([
			'https://a.example',
			'https://b.example',
		])
		expect(parseOrigins('')).toEqual([])
		expect(parseOrigins(undefined)).toEqual([])
	})
})

describe('OpenAPI document', () => {
	it('is served publicly as OpenAPI 3.1', async () => {
		const res = await call('/openapi.json')
		expect(res.status).toBe(200)
		const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> }
		expect(doc.openapi).toBe('3.1.0')
	})

	it('documents exactly the routes the gateway serves', async () => {
		const app = createGateway()
		const doc = (await (await app.request('/openapi.json', {}, env)).json()) as {
			paths: Record<string, Record<string, unknown>>
		}
		const documented = Object.entries(doc.paths)
			.flatMap(([path, ops]) =>
				Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
			)
			.sort()
		// Validators and route middleware register as extra handlers on the same method + path; the
		// document itself and its rendered reference are not API routes.
		const served = [
			...new Set(
				app.routes
					.filter((r) => r.method !== 'ALL' && r.path !== '/openapi.json' && r.path !== '/docs')
					.map((r) => `${r.method} ${r.path}`),
			),
		].sort()
		expect(documented).toEqual(served)
		expect(served).toContain('POST /v1/tenants')
	})
})
