// The audit page's filters as `GET /v1/audit` takes them: empty fields left out, the reader's
// local date-times (from <input type="datetime-local">) as the ISO instants the route expects.
import type { paths, Schemas } from '../api'

export type Outcome = Schemas['AuditEntry']['outcome']

/** What `GET /v1/audit` takes. */
export type AuditQuery = NonNullable<paths['/v1/audit']['get']['parameters']['query']>

export interface AuditFilters {
	action: string
	actor: string
	outcome: Outcome | ''
	/** `YYYY-MM-DDTHH:mm` in the reader's time zone, or empty. */
	from: string
	to: string
}

export const NO_FILTERS: AuditFilters = { action: '', actor: '', outcome: '', from: '', to: '' }

/** A datetime-local value as an ISO instant; undefined when empty or not a time. */
export function localToIso(value: string): string | undefined {
	if (value.trim() === '') return undefined
	// Without an offset, Date reads `YYYY-MM-DDTHH:mm` as local time — what the reader typed.
	const at = new Date(value)
	return Number.isNaN(at.getTime()) ? undefined : at.toISOString()
}

export function auditQuery(filters: AuditFilters, cursor?: number, limit = 100): AuditQuery {
	return {
		action: filters.action.trim() || undefined,
		actor: filters.actor.trim() || undefined,
		outcome: filters.outcome || undefined,
		from: localToIso(filters.from),
		to: localToIso(filters.to),
		cursor,
		limit,
	}
}
