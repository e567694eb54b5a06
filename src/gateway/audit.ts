// How the gateway writes audit events: through the tenant's AuditChain Durable Object (the chain's
// single writer), with the request id, its trace id and the acting principal filled in. A failed
// append never undoes the action it records, but it is logged as an error.
import type { Context } from 'hono'
import { type AuditEvent, PLATFORM_CHAIN } from '../security/audit'
import { actorOf } from '../security/subject'
import type { GatewayEnv } from './context'

export function appendThroughChain(env: Env, event: AuditEvent): Promise<unknown> {
	return env.AUDIT.getByName(event.tenantId).append(event)
}

export async function audit(
	c: Context<GatewayEnv>,
	event: Omit<AuditEvent, 'tenantId' | 'actor' | 'requestId' | 'traceId'> & {
		tenantId?: string
		actor?: string
	},
	options: { wait?: boolean } = { wait: true },
): Promise<void> {
	const principal = c.get('principal')
	const full: AuditEvent = {
		...event,
		tenantId: event.tenantId ?? principal?.tenantId ?? PLATFORM_CHAIN,
		actor: event.actor ?? (principal ? actorOf(principal) : 'anonymous'),
		requestId: c.get('requestId'),
		traceId: c.get('trace')?.traceId,
	}
	const done = appendThroughChain(c.env, full).catch((error: unknown) =>
		c.get('logger').error('audit.append_failed', { action: full.action, error }),
	)
	if (options.wait) await done
	else waitUntil(c, done)
}

/** Work started where there was no ExecutionContext to hand it to, until it settles. */
const unhanded = new Set<Promise<unknown>>()

/** `executionCtx.waitUntil` where there is one (not when the app is called directly in tests). */
export function waitUntil(c: Context<GatewayEnv>, promise: Promise<unknown>): void {
	try {
		c.executionCtx.waitUntil(promise)
	} catch {
		// No ExecutionContext: the promise runs on by itself, kept here until it settles.
		unhanded.add(promise)
		promise.then(
			() => unhanded.delete(promise),
			() => unhanded.delete(promise),
		)
	}
}

/**
 * Resolves once the work `waitUntil` had no ExecutionContext for has settled (tests: what one
 * test file started must land before the next file's storage is set up).
 */
export async function unhandedSettled(): Promise<void> {
	while (unhanded.size > 0) await Promise.allSettled([...unhanded])
}
