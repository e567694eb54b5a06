// The credential resolver over D1: a tenant's own secrets are the `tenant_secrets` rows, opened
// with the deployment's data keys. Opened values are cached per isolate for 10 s, so a turn does
// not read D1 per model call; a write in this isolate drops its entry.
import {
	type Credentials,
	credentialsOver,
	type OwnSecret,
	openOwnSecret,
} from '../security/credentials'
import { TtlCache } from './cache'
import { database } from './client'
import { getSealedSecret } from './secrets'

/** What the resolver reads: D1, the data keys, EDGECLAW_SHARED_SECRETS and shared secrets by name. */
export type CredentialsEnv = { DB: D1Database } & object

/** A tenant secret, like an API key row, reaches every isolate within this time. */
export const SECRET_CACHE_TTL_MS = 10_000

const cache = new TtlCache<OwnSecret>(SECRET_CACHE_TTL_MS, 2_000)
const slotKey = (tenantId: string, name: string) => `${tenantId}\u0000${name}`

/** Drops a tenant secret from this isolate's cache (after a PUT or DELETE). */
export function forgetTenantSecret(tenantId: string, name: string): void {
	cache.delete(slotKey(tenantId, name))
}

/** The resolver over a deployment's bindings (the Worker's `Env` fits). */
export function credentialsFromEnv(env: CredentialsEnv): Credentials {
	return credentialsOver(env, (tenantId, name) =>
		cache.get(slotKey(tenantId, name), async () =>
			openOwnSecret(
				env,
				{ tenantId, name },
				await getSealedSecret(database(env.DB), tenantId, name),
			),
		),
	)
}
