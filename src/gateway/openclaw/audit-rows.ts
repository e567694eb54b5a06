// What a connection writes down: failed `connect` attempts (audited, counted per IP as HTTP counts
// them, locking the IP out past the limit) and its audit rows in the principal's tenant chain.
import { PLATFORM_CHAIN } from '../../security/audit'
import { actorOf } from '../../security/subject'
import { appendThroughChain } from '../audit'
import type { Principal } from '../context'
import { LOCKOUT_MS, lockOut, overFailureLimit } from '../lockout'
import type { Challenged, ConnectionHost, OpenMeta } from './host'

/**
 * Audits and counts a failed `connect` as HTTP does; true when it put the IP over the limit,
 * which then locks the IP out for every connection.
 */
export async function authFailed(
	h: ConnectionHost,
	state: Challenged,
	reason: string,
	tenantId: string | undefined,
): Promise<boolean> {
	h.logger.warn('gateway.auth_failed', { reason })
	h.waitUntil(
		appendThroughChain(h.env, {
			tenantId: tenantId ?? PLATFORM_CHAIN,
			actor: 'anonymous',
			action: 'auth.failed',
			outcome: 'failure',
			requestId: state.meta.requestId,
			...(state.meta.traceId && { traceId: state.meta.traceId }),
			data: { reason, surface: 'openclaw', ...(state.meta.ip ? { ip: state.meta.ip } : {}) },
		}).catch(() => {}),
	)
	const { ip } = state.meta
	const logged = (event: string) => (error: unknown) => {
		h.logger.error(event, { error })
		return false
	}
	const over = await overFailureLimit(h.env, ip).catch(logged('gateway.auth_limit_failed'))
	if (over && ip) {
		await lockOut(h.env, ip, h.now() + LOCKOUT_MS).catch(logged('gateway.lockout_failed'))
	}
	return over
}

/** An audit row of a connection, in the principal's tenant chain, written after the answer. */
export function auditRow(
	h: ConnectionHost,
	meta: OpenMeta | undefined,
	principal: Principal,
	row: {
		action: string
		outcome: 'success' | 'failure' | 'deny'
		data: Record<string, unknown>
		target?: string
		traceId?: string
	},
): void {
	const traceId = row.traceId ?? meta?.traceId
	h.waitUntil(
		appendThroughChain(h.env, {
			tenantId: principal.tenantId,
			actor: actorOf(principal),
			action: row.action,
			outcome: row.outcome,
			requestId: meta?.requestId ?? 'gateway',
			...(row.target !== undefined && { target: row.target }),
			...(traceId !== undefined && { traceId }),
			data: { surface: 'openclaw', ...row.data },
		}).catch((error: unknown) =>
			h.logger.error('audit.append_failed', { action: row.action, error }),
		),
	)
}
