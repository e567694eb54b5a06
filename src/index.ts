// Worker entry: `fetch` is the gateway, `queue` consumes tool jobs; the Durable Object classes
// the bindings name are re-exported from here.
import { createGateway } from './gateway/app'
import { loggerFromEnv } from './observability/logger'
import { handleToolJobBatch } from './tools/jobs'

export { Sandbox } from '@cloudflare/sandbox'
export { AuditChain } from '../durable-objects/audit-chain'
export { ModelHealth } from '../durable-objects/model-health'
export { SessionLane } from '../durable-objects/session-lane'
export { TenantGate } from '../durable-objects/tenant-gate'

const gateway = createGateway()

export default {
	fetch: gateway.fetch,
	async queue(batch, env) {
		handleToolJobBatch(batch, loggerFromEnv(env, { queue: batch.queue }))
	},
} satisfies ExportedHandler<Env>
