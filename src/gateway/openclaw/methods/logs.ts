// `logs.tail` (`openclaw logs`, the Control UI's logs page). edgeclaw writes no log file: its logs
// go to the platform's log stream, which a Worker cannot read back. What it does keep per tenant is
// the audit log, so that is what this tails: one JSON line per audit entry, oldest first, the
// cursor being the last entry's sequence number (`file` names it `audit:<tenant>`). Reading it is
// the same decision as `GET /v1/audit` (`audit:read`).
import { z } from 'zod'
import { listAuditRows } from '../../../db/audit'
import { database } from '../../../db/client'
import { allow, type Method, method } from './context'

const DEFAULT_LINES = 200
/** A tail reads at most this many entries per request (the protocol allows 5000 lines). */
const MAX_LINES = 1_000

type AuditEntry = Awaited<ReturnType<typeof listAuditRows>>[number]

/** One audit entry as a log line in OpenClaw's JSON log format (time, level, subsystem, message). */
const line = (r: AuditEntry): string =>
	JSON.stringify({
		time: r.ts.toISOString(),
		level: r.outcome === 'success' ? 'info' : 'warn',
		subsystem: 'audit',
		message: `${r.action} ${r.outcome}${r.target ? ` ${r.target}` : ''}`,
		seq: r.seq,
		actor: r.actor,
		action: r.action,
		outcome: r.outcome,
		...(r.target && { target: r.target }),
		...(r.traceId && { traceId: r.traceId }),
	})

const tail = method({
	scope: 'operator.read',
	params: z
		.object({
			cursor: z.number().int().min(0).optional(),
			limit: z.number().int().min(1).max(5_000).optional(),
			maxBytes: z.number().int().min(1).max(1_000_000).optional(),
		})
		.loose(),
	async handle(ctx, p) {
		await allow(ctx, 'audit:read', 'audit')
		const limit = Math.min(p.limit ?? DEFAULT_LINES, MAX_LINES)
		// Newest first; the tail keeps those after the cursor and hands them out oldest first.
		const newest = await listAuditRows(database(ctx.env.DB), ctx.principal.tenantId, {}, limit)
		const head = newest[0]?.seq ?? 0
		const cursor = p.cursor ?? 0
		// A cursor past the head is not from this log: start over, as OpenClaw does for a new file.
		const reset = cursor > head
		const fresh = newest.filter((r) => reset || r.seq > cursor).reverse()
		const lines: string[] = []
		let bytes = 0
		for (const r of fresh) {
			const text = line(r)
			bytes += text.length + 1
			if (p.maxBytes !== undefined && bytes > p.maxBytes && lines.length > 0) break
			lines.push(text)
		}
		const oldest = fresh[0]?.seq
		// More entries came after the cursor than one tail returns: the older ones were skipped.
		const truncated =
			(oldest !== undefined && oldest > (reset ? 1 : cursor + 1) && p.cursor !== undefined) ||
			lines.length < fresh.length
		const last = fresh[lines.length - 1]?.seq
		return {
			file: `audit:${ctx.principal.tenantId}`,
			cursor: last ?? (reset ? head : cursor),
			size: head,
			lines,
			...(truncated && { truncated: true }),
			...(reset && { reset: true }),
		}
	},
})

export const logMethods: Record<string, Method> = { 'logs.tail': tail }
