// Which sessions push their events to a connection. The one place that calls a lane's
// follow/unfollow RPC; what the connection remembers of each followed session lives under
// `follow:<lane name>` in its own storage.
import { laneName } from '../../lanes/name'
import type { FollowerRef } from '../../lanes/types'
import type { LaneHandle } from '../lane/client'
import type { FollowState } from './events'
import type { KeyValue } from './host'
import { clawKey } from './keys'

/** Most sessions one connection follows; the longest-followed is dropped beyond it. */
export const MAX_FOLLOWS = 64

const PREFIX = 'follow:'

/** The follower kind lanes store for OpenClaw connections; its id is the connection's object id. */
export const OPENCLAW_FOLLOWER = 'openclaw'
export const asFollower = (connId: string): FollowerRef => ({ kind: OPENCLAW_FOLLOWER, id: connId })

/** What following needs of a connection (a method's context and the connection's host have it). */
export interface Follower {
	env: Env
	connId: string
	kv: KeyValue
	now(): number
}

/** Starts (or updates) following a lane: its events now reach this connection. */
export async function follow(
	f: Follower,
	lane: LaneHandle,
	options: { messages?: boolean } = {},
): Promise<FollowState> {
	const name = laneName(lane.ref)
	const existing = f.kv.get<FollowState>(`${PREFIX}${name}`)
	const state: FollowState = {
		key: clawKey(lane.ref),
		agentId: lane.ref.agentId,
		sessionKey: lane.ref.sessionKey,
		messages: options.messages ?? existing?.messages ?? false,
		since: existing?.since ?? f.now(),
	}
	f.kv.put(`${PREFIX}${name}`, state)
	if (!existing) {
		await lane.stub.follow(asFollower(f.connId))
		const all = [...f.kv.list<FollowState>({ prefix: PREFIX })]
		if (all.length > MAX_FOLLOWS) {
			const [oldest] = all.sort((a, b) => a[1].since - b[1].since)
			if (oldest) await unfollow(f, oldest[0].slice(PREFIX.length))
		}
	}
	return state
}

export async function unfollow(f: Follower, name: string): Promise<void> {
	f.kv.delete(`${PREFIX}${name}`)
	await f.env.SESSION_LANE.getByName(name).unfollow(asFollower(f.connId))
}

/** The socket closed: every lane it follows stops pushing to it (failures are let go). */
export async function unfollowAll(f: Follower): Promise<void> {
	const follows = [...f.kv.list<FollowState>({ prefix: PREFIX })]
	await Promise.allSettled(
		follows.map(([key]) =>
			f.env.SESSION_LANE.getByName(key.slice(PREFIX.length)).unfollow(asFollower(f.connId)),
		),
	)
}

/** What the connection remembers of a followed lane; undefined when it does not follow it. */
export const followed = (kv: KeyValue, name: string): FollowState | undefined =>
	kv.get<FollowState>(`${PREFIX}${name}`)

/** Every followed lane, by lane name. */
export const followedLanes = (kv: KeyValue): [name: string, state: FollowState][] =>
	[...kv.list<FollowState>({ prefix: PREFIX })].map(([key, state]) => [
		key.slice(PREFIX.length),
		state,
	])

/** Forgets a followed lane without telling it (it is gone, or asked to stop). */
export const forget = (kv: KeyValue, name: string): boolean => kv.delete(`${PREFIX}${name}`)

/** Changes what is remembered of a followed lane (e.g. transcript messages on or off). */
export function refollow(kv: KeyValue, name: string, change: Partial<FollowState>): void {
	const state = followed(kv, name)
	if (state) kv.put(`${PREFIX}${name}`, { ...state, ...change })
}

// ── session events ─────────────────────────────────────────────────────────────────────────────
// `sessions.subscribe` asks for the session events of the whole gateway. edgeclaw has no
// tenant-wide event stream (each session's lane pushes to its own followers), so a subscribed
// connection gets them for the sessions it follows — the ones it sends to, subscribes to, or
// reads the history of while subscribed.

const SESSION_EVENTS = 'sessions:subscribed'

export const subscribeToSessions = (kv: KeyValue): void => kv.put(SESSION_EVENTS, true)

export const subscribedToSessions = (kv: KeyValue): boolean =>
	kv.get<boolean>(SESSION_EVENTS) === true
