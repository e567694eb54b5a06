// Whether a heartbeat's slot runs a turn at all: not outside the agent's active hours, and not in
// a session nobody has written to for longer than `skipIfIdleDays`. Either is a skipped run with
// the reason, never a deferred one. Activity is read from the sessions index in D1; the heartbeat's
// own runs (which also touch the index) are told apart by their lane run ids in the fire ledger.
import { database } from '../../db/client'
import { getSession } from '../../db/sessions'
import type { ScheduleLedger } from '../schedules/ledger'
import type { HeartbeatRules } from '../schedules/spec'
import { minutesOf } from './config'

const DAY_MS = 86_400_000
/** The ledger note of a session's last activity (per session: the heartbeat's may change). */
const activityNote = (sessionKey: string) => `heartbeat.activity:${sessionKey}`

/** Minutes after local midnight at `at` in `timeZone`. */
export function localMinutes(at: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-GB', {
		timeZone,
		hour: '2-digit',
		minute: '2-digit',
		hourCycle: 'h23',
	}).formatToParts(new Date(at))
	const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
	return get('hour') * 60 + get('minute')
}

/** True when `at` falls within the hours (`start` inclusive, `end` exclusive; may wrap midnight). */
export function withinActiveHours(hours: NonNullable<HeartbeatRules['activeHours']>, at: number) {
	const now = localMinutes(at, hours.timeZone)
	const start = minutesOf(hours.start)
	const end = minutesOf(hours.end)
	return start < end ? now >= start && now < end : now >= start || now < end
}

const hhmm = (minutes: number): string =>
	`${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

export interface GateFacts {
	db: D1Database
	ledger: ScheduleLedger
	tenantId: string
	sessionKey: string
	/** When the heartbeat schedule was created: the activity of a session with no record of any. */
	since: number
	now: number
}

/** Why this slot of the heartbeat is skipped, or null when its turn runs. */
export async function heartbeatSkip(rules: HeartbeatRules, f: GateFacts): Promise<string | null> {
	const hours = rules.activeHours
	if (hours && !withinActiveHours(hours, f.now)) {
		return `outside active hours ${hours.start}-${hours.end} ${hours.timeZone} (local time ${hhmm(localMinutes(f.now, hours.timeZone))})`
	}
	if (rules.skipIfIdleDays === undefined) return null
	const last = await lastActivity(rules.agentId, f)
	const idleDays = (f.now - last) / DAY_MS
	if (idleDays <= rules.skipIfIdleDays) return null
	return `the session has been idle for ${Math.floor(idleDays)} days (skipIfIdleDays ${rules.skipIfIdleDays})`
}

/**
 * The session's last activity that was not this heartbeat: the index's latest update when its
 * last run is not one of the heartbeat's, else the activity noted at an earlier slot.
 */
async function lastActivity(agentId: string, f: GateFacts): Promise<number> {
	const row = await getSession(database(f.db), {
		tenantId: f.tenantId,
		agentId,
		sessionKey: f.sessionKey,
	})
	const noted = f.ledger.noted(activityNote(f.sessionKey))
	const seen =
		row && !(row.lastRunId && f.ledger.hasLaneRun(row.lastRunId))
			? row.updatedAt.getTime()
			: undefined
	const last = Math.max(noted ?? Number.NEGATIVE_INFINITY, seen ?? Number.NEGATIVE_INFINITY)
	if (last === Number.NEGATIVE_INFINITY) return f.since
	if (last !== noted) f.ledger.note(activityNote(f.sessionKey), last)
	return last
}
