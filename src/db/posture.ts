// What the security posture report reads from D1: the agents, API keys, stored secret names and
// enabled channels of one tenant, or of every tenant for the platform admin. Bounded, so a report
// stays one request.
import { and, eq } from 'drizzle-orm'
import type { Db } from './client'
import { agents, apiKeys, channels, tenantSecrets } from './schema'

/** The rows the report looks at: of `tenantId`, or of every tenant when it is undefined. */
export async function postureRows(db: Db, tenantId: string | undefined) {
	const [agentRows, keyRows, secretRows, channelRows] = await Promise.all([
		db
			.select()
			.from(agents)
			.where(tenantId ? eq(agents.tenantId, tenantId) : undefined)
			.limit(5_000),
		db
			.select()
			.from(apiKeys)
			.where(tenantId ? eq(apiKeys.tenantId, tenantId) : undefined)
			.limit(5_000),
		db
			.select({ tenantId: tenantSecrets.tenantId, name: tenantSecrets.name })
			.from(tenantSecrets)
			.where(tenantId ? eq(tenantSecrets.tenantId, tenantId) : undefined)
			.limit(50_000),
		db
			.select()
			.from(channels)
			.where(
				tenantId
					? and(eq(channels.tenantId, tenantId), eq(channels.enabled, true))
					: eq(channels.enabled, true),
			)
			.limit(5_000),
	])
	return { agents: agentRows, keys: keyRows, secrets: secretRows, channels: channelRows }
}
