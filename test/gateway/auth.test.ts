// Default deny under /v1: no credential, a wrong one or no configured admin token → 401.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { bearerToken, secretsEqual } from '../../src/security/tokens'
import { ADMIN_TOKEN, admin, call, problem } from '../helpers'

describe('authentication', () => {
	it('401s without credentials and sends a Bearer challenge', async () => {
		const res = await call('/v1/agents')
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toContain('Bearer')
		expect((await problem(res)).code).toBe('unauthorized')
	})

	it('401s a wrong token, including the right token with a suffix or prefix', async () => {
		for (const token of ['nope', `${ADMIN_TOKEN}x`, `x${ADMIN_TOKEN}`, ADMIN_TOKEN.slice(0, -1)]) {
			const res = await admin('/v1/agents', { headers: { authorization: `Bearer ${token}` } })
			expect(res.status).toBe(401)
			expect((await problem(res)).code).toBe('unauthorized')
		}
	})

	it('401s other schemes, and refuses credentials in the query string outright', async () => {
		const basic = await admin('/v1/agents', {
			headers: { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` },
		})
		expect(basic.status).toBe(401)
		for (const name of ['token', 'access_token', 'api_key', 'key']) {
			const query = await call(`/v1/agents?${name}=${ADMIN_TOKEN}`)
			expect(query.status).toBe(400)
			const p = await problem(query)
			expect(p.code).toBe('credentials_in_url')
			expect(JSON.stringify(p)).not.toContain(ADMIN_TOKEN)
		}
	})

	it('accepts the admin token', async () => {
		const res = await admin('/v1/agents')
		expect(res.status).toBe(200)
	})

	it('denies everything when no admin token is configured', async () => {
		const app = createGateway()
		const res = await app.request(
			'/v1/agents',
			{ headers: { authorization: 'Bearer ' } },
			{ ...env, EDGECLAW_ADMIN_TOKEN: '' },
		)
		expect(res.status).toBe(401)
		const res2 = await app.request(
			'/v1/agents',
			{ headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
			{ ...env, EDGECLAW_ADMIN_TOKEN: '' },
		)
		expect(res2.status).toBe(401)
	})

	it('400s an invalid tenant header', async () => {
		const res = await admin('/v1/agents', { headers: { 'x-edgeclaw-tenant': '_system' } })
		expect(res.status).toBe(400)
		expect((await problem(res)).code).toBe('bad_request')
	})

	it('404s a tenant that does not exist', async () => {
		const res = await admin('/v1/agents', { headers: { 'x-edgeclaw-tenant': 'ghost' } })
		expect(res.status).toBe(404)
		expect((await problem(res)).code).toBe('not_found')
	})
})

describe('token helpers', () => {
	it('compares secrets exactly', async () => {
		expect(await secretsEqual('abc', 'abc')).toBe(true)
		expect(await secretsEqual('abc', 'abd')).toBe(false)
		expect(await secretsEqual('', '')).toBe(false)
		expect(await secretsEqual('abc', '')).toBe(false)
		// The expected side's digest is kept per isolate: a second check against it still tells
		// equal from unequal, also after more expected secrets than it keeps came and went.
		for (let i = 0; i < 70; i++) expect(await secretsEqual(`s${i}`, `s${i}`)).toBe(true)
		expect(await secretsEqual('abc', 'abc')).toBe(true)
		expect(await secretsEqual('abd', 'abc')).toBe(false)
		expect(await secretsEqual('s1', 's1')).toBe(true)
		expect(await secretsEqual('s2', 's1')).toBe(false)
	})

	it('parses only well-formed bearer headers', () => {
		expect(bearerToken('Bearer abc')).toBe('abc')
		expect(bearerToken('bearer abc')).toBe('abc')
		expect(bearerToken('Bearer')).toBeUndefined()
		expect(bearerToken('Bearer a b')).toBeUndefined()
		expect(bearerToken('Token abc')).toBeUndefined()
		expect(bearerToken(undefined)).toBeUndefined()
	})
})
