// The typed Hono environment of the gateway: bindings are the generated `Env`; variables are what
// middleware puts on the context for handlers further down.
import type { Logger } from '../observability/logger'
import type { MetricsSink } from '../observability/metrics'
import type { TraceContext } from '../observability/trace'
import type { Role } from '../security/keys'
import type { PrincipalKind } from '../security/subject'

/**
 * Who is calling, and in which tenant. `platform` is the deployment's bootstrap admin
 * (EDGECLAW_ADMIN_TOKEN), which may act in any tenant (`x-edgeclaw-tenant`); an API key, a JWT or
 * a paired device (`device`, OpenClaw socket only) acts in its own tenant only.
 */
export interface Principal {
	kind: PrincipalKind
	/** Key id, JWT subject, or `admin-token`. Never a secret. */
	id: string
	role: Role
	tenantId: string
	/** Action patterns a key is limited to; empty = what its role allows. */
	scopes: string[]
	/** When the credential stops being valid (a JWT's `exp`); keys are re-read instead. */
	expiresAt?: number
	/** A device token's issue time: once the device's token is rotated, the old one is dead. */
	issuedAt?: number
}

/** Where a request's credential came from: a bearer token, or Cloudflare Access's JWT header. */
export type CredentialSource = 'token' | 'access'

export interface GatewayVariables {
	requestId: string
	/**
	 * The request's W3C trace: the caller's `traceparent` continued with a span of ours, or a new
	 * trace; undefined when telemetry is off (EDGECLAW_TELEMETRY=off).
	 */
	trace: TraceContext | undefined
	logger: Logger
	principal: Principal
	credentialSource: CredentialSource
	/** The isolate's metrics writer (middleware/metrics.ts). */
	metrics: MetricsSink
}

export interface GatewayEnv {
	Bindings: Env
	Variables: GatewayVariables
}
