// What the "Create key" form sends: roles the caller may grant, scopes from a comma-separated list,
// and the expiry date as `expiresInDays` (the API counts days from now).
import type { Role } from '../session'

/** Strongest first; a key is created at most at its creator's role (the server refuses more). */
export const ROLES: readonly Role[] = ['admin', 'operator', 'member', 'viewer']

export function grantableRoles(own: Role): Role[] {
	return ROLES.slice(ROLES.indexOf(own))
}

/** "sessions:*, agents:read,," → ["sessions:*", "agents:read"]: trimmed, no blanks, no repeats. */
export function parseScopes(text: string): string[] {
	return [
		...new Set(
			text
				.split(/[,\s]+/)
				.map((s) => s.trim())
				.filter(Boolean),
		),
	]
}

export type Expiry = { ok: true; days: number | undefined } | { ok: false; message: string }

const MAX_DAYS = 3650

/**
 * A date (`YYYY-MM-DD`, the reader's calendar) as whole days from today: the key then expires on
 * that day at this time of day. Empty = never expires.
 */
export function expiresInDays(date: string, now: Date): Expiry {
	if (date === '') return { ok: true, days: undefined }
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
	if (!m) return { ok: false, message: 'The expiry must be a date.' }
	const chosen = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
	const today = new Date(now.getFullYear(), now.getMonth(), now.getDate())
	// Rounded: a day across a daylight-saving change is 23 or 25 hours long.
	const days = Math.round((chosen.getTime() - today.getTime()) / 86_400_000)
	if (days < 1) return { ok: false, message: 'The expiry must be after today.' }
	if (days > MAX_DAYS) return { ok: false, message: `The expiry must be within ${MAX_DAYS} days.` }
	return { ok: true, days }
}

/** `YYYY-MM-DD` of the day after `now` in the reader's calendar: the earliest expiry to offer. */
export function tomorrow(now: Date): string {
	const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)
	const pad = (n: number) => String(n).padStart(2, '0')
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}
