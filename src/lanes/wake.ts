// When a lane wakes next. One alarm per object covers everything: the active run's deadline and
// heartbeat, queued work, the outbox's next due delivery (so an evicted lane resumes sending) and
// retention. Pure: the lane passes what it knows.
import { STUCK_GRACE_MS } from './stuck'

/** While work is pending the lane wakes at least this often, so a restart never leaves it stuck. */
export const HEARTBEAT_MS = 30_000
/** Nothing wakes a lane sooner than this from now: work due now is being done already. */
const MIN_DELAY_MS = 1_000

export interface WakeState {
	now: number
	/** The active run's deadline, when a run is active. */
	activeDeadline: number | undefined
	queued(): boolean
	/** When the outbox's next delivery is due (Infinity: none). */
	outboxDue: number
	/** An alarm is already scheduled in the future. */
	alarmPending: boolean
	/** When the oldest stored thing falls due for deletion (Infinity: never). */
	expiry(): number
}

/** The alarm to set: a time, null for none, or undefined to keep the pending one. */
export function nextWake(s: WakeState): number | null | undefined {
	const due = Math.max(s.outboxDue, s.now + MIN_DELAY_MS)
	if (s.activeDeadline !== undefined) {
		// Past its deadline a run is being stopped: the next look is when it would count as stuck,
		// then the heartbeat (never a deadline in the past, which would fire again at once).
		const stuckAt = s.activeDeadline + STUCK_GRACE_MS
		const check = s.now < s.activeDeadline ? s.activeDeadline : s.now < stuckAt ? stuckAt : Infinity
		return Math.min(check, s.now + HEARTBEAT_MS, due)
	}
	if (s.queued()) return Math.min(s.now + HEARTBEAT_MS, due)
	// Idle: wake only when a delivery is due or something stored expires. An alarm already
	// pending is sooner than any retention date and recomputes this when it fires.
	if (!Number.isFinite(due) && s.alarmPending) return undefined
	const at = Math.min(s.expiry(), due)
	return Number.isFinite(at) ? Math.max(at, s.now + MIN_DELAY_MS) : null
}
