// JWTs verified against a JWKS (as behind Cloudflare Access): claims give tenant and role; bad
// signature, alg none, wrong issuer or audience, expired, missing claims → 401.
import { env } from 'cloudflare:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { tenant } from './helpers'

const ISSUER = 'https://team.cloudflareaccess.com'
const AUDIENCE = 'edgeclaw-aud-tag'
let good: CryptoKey
let other: CryptoKey
let jwks: string

beforeAll(async () => {
	await tenant('initech')
	const pair = await generateKeyPair('RS256', { extractable: true })
	const stranger = await generateKeyPair('RS256', { extractable: true })
	good = pair.privateKey
	other = stranger.privateKey
	jwks = JSON.stringify({
		keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }],
	})
})

const sign = (
	claims: Record<string, unknown>,
	options: { key?: CryptoKey; exp?: string | number; iss?: string; aud?: string } = {},
) =>
	new SignJWT(claims)
		.setProtectedHeader({ alg: 'RS256', kid: 'k1' })
		.setSubject(String(claims.sub ?? 'user@initech.test'))
		.setIssuer(options.iss ?? ISSUER)
		.setAudience(options.aud ?? AUDIENCE)
		.setIssuedAt()
		.setExpirationTime(options.exp ?? '5m')
		.sign(options.key ?? good)

function request(token: string, path = '/v1/agents', init: RequestInit = {}) {
	const app = createGateway()
	return app.request(
		path,
		{
			...init,
			headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
		},
		{
			...env,
			EDGECLAW_JWT_JWKS: jwks,
			EDGECLAW_JWT_ISSUER: ISSUER,
			EDGECLAW_JWT_AUDIENCE: AUDIENCE,
		},
	)
}

describe('JWT authentication', () => {
	it('accepts a valid token and maps its claims to tenant and role', async () => {
		const token = await sign({ tenant: 'initech', role: 'viewer' })
		const res = await request(token)
		expect(res.status).toBe(200)
		const body = (await res.json()) as { agents: { tenantId: string }[] }
		expect(body.agents.every((a) => a.tenantId === 'initech')).toBe(true)
		// A viewer may read, not write.
		const write = await request(token, '/v1/agents', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
		})
		expect(write.status).toBe(403)
	})

	it('rejects bad signatures, alg none, wrong issuer or audience, expired tokens and missing claims', async () => {
		const unsigned = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '')}.${btoa(
			JSON.stringify({
				sub: 'x',
				tenant: 'initech',
				role: 'admin',
				iss: ISSUER,
				aud: AUDIENCE,
				exp: Math.floor(Date.now() / 1000) + 300,
			}),
		).replace(/=+$/, '')}.`
		const cases = {
			'bad signature': await sign({ tenant: 'initech' }, { key: other }),
			'alg none': unsigned,
			'wrong issuer': await sign({ tenant: 'initech' }, { iss: 'https://evil.example' }),
			'wrong audience': await sign({ tenant: 'initech' }, { aud: 'another-app' }),
			expired: await sign({ tenant: 'initech' }, { exp: Math.floor(Date.now() / 1000) - 3600 }),
			'no tenant claim': await sign({ role: 'admin' }),
			'invalid tenant claim': await sign({ tenant: '../other' }),
		}
		for (const [name, token] of Object.entries(cases)) {
			const res = await request(token)
			expect(res.status, name).toBe(401)
		}
	})

	it('works behind Cloudflare Access without API keys (Cf-Access-Jwt-Assertion)', async () => {
		const token = await sign({ tenant: 'initech', role: 'member' })
		const app = createGateway()
		const res = await app.request(
			'/v1/agents',
			{ headers: { 'cf-access-jwt-assertion': token } },
			{
				...env,
				EDGECLAW_JWT_JWKS: jwks,
				EDGECLAW_JWT_ISSUER: ISSUER,
				EDGECLAW_JWT_AUDIENCE: AUDIENCE,
			},
		)
		expect(res.status).toBe(200)
		const forged = await app.request(
			'/v1/agents',
			{ headers: { 'cf-access-jwt-assertion': await sign({ tenant: 'initech' }, { key: other }) } },
			{
				...env,
				EDGECLAW_JWT_JWKS: jwks,
				EDGECLAW_JWT_ISSUER: ISSUER,
				EDGECLAW_JWT_AUDIENCE: AUDIENCE,
			},
		)
		expect(forged.status).toBe(401)
	})

	it('accepts a token within the clock skew, and none at all when no JWKS is configured', async () => {
		const justExpired = await sign(
			{ tenant: 'initech' },
			{ exp: Math.floor(Date.now() / 1000) - 10 },
		)
		expect((await request(justExpired)).status).toBe(200)
		const app = createGateway()
		const res = await app.request(
			'/v1/agents',
			{ headers: { authorization: `Bearer ${justExpired}` } },
			env,
		)
		expect(res.status).toBe(401)
	})
})
