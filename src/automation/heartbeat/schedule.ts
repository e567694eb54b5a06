// A heartbeat is an `every` schedule its agent owns: one `schedules` row with the reserved id
// `heartbeat.<agent>` (a dot no other schedule id may hold), fired by the schedule timer like any
// other, with the heartbeat rules stored in its definition. This turns agent config into that row.
import type { ScheduleDefinition } from '../schedules/spec'
import { everyMsOf, type HeartbeatConfig } from './config'

export const HEARTBEAT_ID_PREFIX = 'heartbeat.'

/** The id of the schedule that carries an agent's heartbeat. */
export const heartbeatScheduleId = (agentId: string): string => `${HEARTBEAT_ID_PREFIX}${agentId}`

/** The agent whose heartbeat a schedule id names, or undefined for any other schedule. */
export const heartbeatOwner = (scheduleId: string): string | undefined =>
	scheduleId.startsWith(HEARTBEAT_ID_PREFIX)
		? scheduleId.slice(HEARTBEAT_ID_PREFIX.length)
		: undefined

/**
 * The schedule definition of an agent's heartbeat. A slot that could not fire on time is never
 * made up (misfire `skip`): a heartbeat is about now.
 */
export function heartbeatDefinition(agentId: string, config: HeartbeatConfig): ScheduleDefinition {
	return {
		name: `heartbeat of ${agentId}`,
		schedule: { kind: 'every', everyMs: everyMsOf(config) },
		target: { agentId, session: config.session, message: config.prompt },
		delivery: config.delivery,
		misfire: { policy: 'skip', maxLatenessMs: 0 },
		heartbeat: {
			agentId,
			...(config.activeHours && { activeHours: config.activeHours }),
			...(config.skipIfIdleDays !== undefined && { skipIfIdleDays: config.skipIfIdleDays }),
		},
	}
}
