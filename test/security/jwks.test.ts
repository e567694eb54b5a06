// A remote JWKS (EDGECLAW_JWT_JWKS_URL) on a cold isolate: a burst of verifications makes one
// fetch, a token signed by a rotated-in key refetches the set once (after the cooldown), and a
// failed fetch is not kept.
import { exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { JWKS_COOLDOWN_MS, remoteJwks } from '../../src/security/jwks'

interface Signer {
	key: CryptoKey
	jwk: JWK
}

let first: Signer
let rotated: Signer

async function signer(kid: string): Promise<Signer> {
	const pair = await generateKeyPair('ES256', { extractable: true })
	return { key: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' } }
}

beforeAll(async () => {
	first = await signer('k1')
	rotated = await signer('k2')
})

const sign = (s: Signer) =>
	new SignJWT({})
		.setProtectedHeader({ alg: 'ES256', kid: s.jwk.kid as string })
		.setSubject('user@initech.test')
		.setExpirationTime('5m')
		.sign(s.key)

/** A JWKS endpoint serving `keys()`, counting its fetches; `status` fails them. */
function endpoint(keys: () => JWK[], status = 200) {
	const served = { fetches: 0 }
	const fetcher: typeof fetch = async () => {
		served.fetches++
		// A turn of the event loop, so concurrent callers overlap the fetch.
		await new Promise((resolve) => setTimeout(resolve, 0))
		return Response.json({ keys: keys() }, { status })
	}
	return { served, fetcher }
}

let urls = 0
const freshUrl = () => `https://idp${++urls}.example.test/certs`

describe('remote JWKS', () => {
	it('verifies a burst of tokens on a cold isolate with one fetch', async () => {
		const { served, fetcher } = endpoint(() => [first.jwk])
		const jwks = remoteJwks(freshUrl(), { fetch: fetcher })
		const tokens = await Promise.all(Array.from({ length: 20 }, () => sign(first)))
		const results = await Promise.all(tokens.map((t) => jwtVerify(t, jwks)))
		expect(results.map((r) => r.payload.sub)).toEqual(tokens.map(() => 'user@initech.test'))
		expect(served.fetches).toBe(1)
		// Warm: later verifications use the kept set.
		await jwtVerify(await sign(first), jwks)
		expect(served.fetches).toBe(1)
	})

	it('refetches for an unknown key id only after the cooldown, once for a burst', async () => {
		let keys = [first.jwk]
		let clock = 1_000_000
		const { served, fetcher } = endpoint(() => keys)
		const jwks = remoteJwks(freshUrl(), { fetch: fetcher, now: () => clock })
		await jwtVerify(await sign(first), jwks)
		keys = [first.jwk, rotated.jwk]
		const token = await sign(rotated)
		await expect(jwtVerify(token, jwks)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
		expect(served.fetches).toBe(1)
		clock += JWKS_COOLDOWN_MS
		const burst = await Promise.all(Array.from({ length: 10 }, () => jwtVerify(token, jwks)))
		expect(burst).toHaveLength(10)
		expect(served.fetches).toBe(2)
	})

	it('keeps no failed fetch: the next verification fetches again', async () => {
		let status = 503
		const served = { fetches: 0 }
		const fetcher: typeof fetch = async () => {
			served.fetches++
			return Response.json({ keys: [first.jwk] }, { status })
		}
		const jwks = remoteJwks(freshUrl(), { fetch: fetcher })
		const token = await sign(first)
		await expect(jwtVerify(token, jwks)).rejects.toThrow(/503/)
		status = 200
		await expect(jwtVerify(token, jwks)).resolves.toMatchObject({
			payload: { sub: 'user@initech.test' },
		})
		expect(served.fetches).toBe(2)
	})
})
