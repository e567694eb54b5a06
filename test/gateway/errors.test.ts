// The error envelope: every failure is problem+json with a stable code and the request id.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { captureLogs } from '../fakes/logs'
import { ADMIN_TOKEN, admin, call, problem } from '../helpers'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

describe('problem+json envelope', () => {
	it('404s unknown routes with code not_found and the request id', async () => {
		const res = await call('/nope/nothing')
		expect(res.status).toBe(404)
		const body = await problem(res)
		expect(body).toMatchObject({
			type: 'urn:edgeclaw:problem:not_found',
			title: 'Not found',
			status: 404,
			code: 'not_found',
		})
		expect(typeof body.detail).toBe('string')
		expect(body.requestId).toBe(res.headers.get('x-request-id'))
	})

	it('405s a known path with the wrong method and lists the allowed ones', async () => {
		const res = await admin('/v1/tenants', { method: 'DELETE' })
		expect(res.status).toBe(405)
		expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
		expect((await problem(res)).code).toBe('method_not_allowed')
	})

	it('answers OPTIONS on a known path with 204 and Allow', async () => {
		const res = await call('/health', { method: 'OPTIONS' })
		expect(res.status).toBe(204)
		expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
	})

	it('rejects malformed JSON with 400 malformed_json', async () => {
		const res = await admin('/v1/tenants', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{"id": "acme",',
		})
		expect(res.status).toBe(400)
		expect((await problem(res)).code).toBe('malformed_json')
	})

	it('rejects an empty JSON body with 400 malformed_json', async () => {
		const res = await admin('/v1/tenants', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
		})
		expect(res.status).toBe(400)
		expect((await problem(res)).code).toBe('malformed_json')
	})

	it('rejects a non-JSON content type with 415', async () => {
		const res = await admin('/v1/tenants', {
			method: 'POST',
			headers: { 'content-type': 'text/plain' },
			body: '{"id":"acme","name":"Acme"}',
		})
		expect(res.status).toBe(415)
		expect((await problem(res)).code).toBe('unsupported_media_type')
	})

	it('rejects a body without content type with 415', async () => {
		const res = await admin('/v1/tenants', { method: 'POST', body: new Uint8Array([123, 125]) })
		expect(res.status).toBe(415)
		expect((await problem(res)).code).toBe('unsupported_media_type')
	})

	it('rejects an oversized body (content-length) with 413 before reading it', async () => {
		const big = JSON.stringify({ id: 'big', name: 'x'.repeat(1_100_000) })
		const res = await admin('/v1/tenants', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: big,
		})
		expect(res.status).toBe(413)
		const body = await problem(res)
		expect(body.code).toBe('payload_too_large')
		expect(body.limit).toBe(1_048_576)
	})

	it('rejects an oversized streamed body (no content-length) with 413', async () => {
		const chunk = new Uint8Array(64 * 1024).fill(32)
		let sent = 0
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent >= 40) return controller.close()
				sent++
				controller.enqueue(chunk)
			},
		})
		const app = createGateway()
		const res = await app.request(
			'/v1/tenants',
			{
				method: 'POST',
				headers: { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
				body: stream,
				duplex: 'half',
			} as RequestInit,
			env,
		)
		expect(res.status).toBe(413)
		expect((await problem(res)).code).toBe('payload_too_large')
	})

	it('reports schema violations with 400 validation_failed and field paths', async () => {
		const res = await admin('/v1/tenants', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ id: 'Not A Slug', name: '', extra: 1 }),
		})
		expect(res.status).toBe(400)
		const body = await problem(res)
		expect(body.code).toBe('validation_failed')
		const paths = (body.errors as { path: string }[]).map((e) => e.path)
		expect(paths).toEqual(expect.arrayContaining(['id', 'name']))
	})

	it('validates path parameters', async () => {
		const res = await admin('/v1/tenants/BAD_ID!')
		expect(res.status).toBe(400)
		expect((await problem(res)).code).toBe('validation_failed')
	})

	it('turns unknown errors into a generic 500 and keeps the details in the log', async () => {
		const { sink, lines } = captureLogs()
		const app = createGateway({ sink })
		app.get('/boom', () => {
			throw new Error(`database password is hunter2-very-secret and key ${ADMIN_TOKEN}`)
		})
		const res = await app.request(
			'/boom',
			{ headers: { 'x-request-id': 'req-boom-1' } },
			{ ...env, EDGECLAW_LOG_LEVEL: 'info' },
		)
		expect(res.status).toBe(500)
		const body = await problem(res)
		expect(body).toMatchObject({ code: 'internal_error', status: 500, requestId: 'req-boom-1' })
		expect(JSON.stringify(body)).not.toContain('hunter2')
		const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
		const unhandled = logged.find((l) => l.msg === 'unhandled')
		expect(unhandled?.requestId).toBe('req-boom-1')
		expect(JSON.stringify(unhandled)).toContain('hunter2')
		// The admin token is a known secret: it never reaches the log.
		expect(lines.join('\n')).not.toContain(ADMIN_TOKEN)
	})
})
