// A JWKS fetched from a URL (EDGECLAW_JWT_JWKS_URL), kept per isolate for ten minutes. Concurrent
// verifications on a cold isolate share one fetch (jose's own remote set fetches once per caller on
// Workers), and a token signed by a key the set lacks refetches it at most once per cooldown, so
// a rotated key is picked up without letting bad tokens hammer the identity provider.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'
import { TtlCache } from '../db/cache'

export const JWKS_MAX_AGE_MS = 10 * 60_000
/** Least time between two fetches of one set caused by an unknown key id. */
export const JWKS_COOLDOWN_MS = 30_000
const FETCH_TIMEOUT_MS = 5_000

interface FetchedSet {
	key: JWTVerifyGetKey
	fetchedAt: number
}

const sets = new TtlCache<FetchedSet>(JWKS_MAX_AGE_MS, 16)

export interface RemoteJwksOptions {
	fetch?: typeof fetch
	now?: () => number
}

/** The key resolver of the set at `url`, for `jwtVerify`. */
export function remoteJwks(url: string, options: RemoteJwksOptions = {}): JWTVerifyGetKey {
	const fetcher = options.fetch ?? ((input, init) => fetch(input, init))
	const now = options.now ?? Date.now
	const load = (): Promise<FetchedSet> =>
		sets.get(
			url,
			async () => {
				const res = await fetcher(url, {
					headers: { accept: 'application/json' },
					signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
				})
				if (!res.ok) throw new errors.JOSEError(`JWKS fetch failed with status ${res.status}`)
				const set = (await res.json()) as JSONWebKeySet
				return { key: createLocalJWKSet(set), fetchedAt: now() }
			},
			now(),
		)
	return async (header, token) => {
		const set = await load()
		try {
			return await set.key(header, token)
		} catch (error) {
			if (!(error instanceof errors.JWKSNoMatchingKey)) throw error
			if (now() - set.fetchedAt < JWKS_COOLDOWN_MS) throw error
			// The set may have rotated since: fetch it again, then decide. Only the first of a burst
			// drops the kept set; the others share its fetch.
			if (sets.peek(url, now()) === set) sets.delete(url)
			return (await load()).key(header, token)
		}
	}
}
