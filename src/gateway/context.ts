// The typed Hono environment of the gateway: bindings are the generated `Env`; variables are what
// middleware puts on the context for handlers further down.
import type { Logger } from '../observability/logger'

/** Who is calling. The bootstrap admin (EDGECLAW_ADMIN_TOKEN) acts within one tenant per request. */
export interface Principal {
	kind: 'admin-token'
	role: 'admin'
	tenantId: string
}

export interface GatewayVariables {
	requestId: string
	logger: Logger
	principal: Principal
}

export interface GatewayEnv {
	Bindings: Env
	Variables: GatewayVariables
}
