// The parts of a SessionLane object (durable-objects/session-lane.ts), assembled when the object
// starts: the lane and what it runs with (agent loop, toolbox, channels' replies, relays). The
// shell imports this module as the object starts (under blockConcurrencyWhile), so an isolate's
// startup does not evaluate the agent, tool and channel code behind it.
import { resolveAgent } from '../src/agents/lookup'
import { agentRuntime } from '../src/agents/runtime'
import type { SubagentHost } from '../src/automation/subagents/index'
import { channelReplies } from '../src/channels/replies'
import { database } from '../src/db/client'
import { removeSession, upsertSession } from '../src/db/sessions'
import { addUsage } from '../src/db/usage'
import { OPENCLAW_FOLLOWER } from '../src/gateway/openclaw/follows'
import { AlarmScheduler, CoalescedIndex, type ReplySink } from '../src/lanes/host'
import { Lane, type LaneHost } from '../src/lanes/lane'
import { laneName, parseLaneName } from '../src/lanes/name'
import { type FollowerKinds, LaneRelays, type RelayTarget } from '../src/lanes/relays'
import { LaneStore } from '../src/lanes/store'
import { LaneSubscribers } from '../src/lanes/subscribers'
import { type Logger, loggerFromEnv } from '../src/observability/logger'
import { sharedUsageWrites, UsageRecorder } from '../src/observability/usage'
import { placeMetrics } from '../src/observability/writers'
import { createToolbox } from '../src/tools/toolbox'

export { prepareRestore } from '../src/lanes/restore'
export { EVENTS_TAG } from '../src/lanes/subscribers'
export { StreamTickets } from '../src/lanes/tickets'
export { runTraceOf } from '../src/lanes/trace-builder'

/**
 * Every kind of follower a lane pushes events to, by the name stored with each subscription: the
 * object of that kind with a given id. A front door that follows sessions adds its kind here
 * (docs/architecture.md, "Followers").
 */
function followerKinds(env: Env): FollowerKinds {
	return {
		[OPENCLAW_FOLLOWER]: (id) =>
			env.GATEWAY_CONNECTION.get(env.GATEWAY_CONNECTION.idFromString(id)) as unknown as RelayTarget,
	}
}

/**
 * How a lane reaches other lanes and its tenant's agents for subagents: lanes by session over RPC
 * (same tenant: the caller names only sessions of its own), agents from D1 through the cache.
 */
function subagentHost(env: Env): SubagentHost {
	const db = database(env.DB)
	return {
		loadAgent: (tenantId, agentId) => resolveAgent(db, tenantId, agentId),
		lane: (session) => env.SESSION_LANE.getByName(laneName(session)),
	}
}

/**
 * Where runs' replies to channels are sent: the channels' sink, for the lane's own tenant
 * (undefined for an object whose name is not a lane's, such as the readiness probe's).
 */
function replySink(env: Env, name: string, logger: Logger): ReplySink | undefined {
	const session = parseLaneName(name)
	return session && channelReplies(env, session.tenantId, logger)
}

export interface LaneParts {
	lane: Lane
	store: LaneStore
	subscribers: LaneSubscribers
	alarms: AlarmScheduler
	relays: LaneRelays
}

/** Builds the lane of the object `ctx` (named `name`) and everything it runs with. */
export function assembleLane(
	ctx: DurableObjectState,
	env: Env,
	name: string,
	indexWriteIntervalMs: number,
): LaneParts {
	const logger = loggerFromEnv(env, { lane: name })
	const db = database(env.DB)
	const index = new CoalescedIndex({
		write: (row) => upsertSession(db, row),
		remove: (ref) => removeSession(db, ref),
		intervalMs: indexWriteIntervalMs,
		waitUntil: (p) => ctx.waitUntil(p),
		logger,
	})
	// The lane's one metrics writer: its points, its rollups (nothing when telemetry is off).
	// Its rollups and usage totals go out with those of the other lanes of this isolate: one D1
	// write of each per interval for the isolate, not per lane.
	const metrics = placeMetrics(env, {
		logger,
		waitUntil: (p) => ctx.waitUntil(p),
		intervalMs: indexWriteIntervalMs,
		shared: true,
	})
	const usage = new UsageRecorder({
		metrics: metrics.sink,
		shared: sharedUsageWrites(env.DB, {
			write: (deltas) => addUsage(db, deltas),
			intervalMs: indexWriteIntervalMs,
			logger,
		}),
		waitUntil: (p) => ctx.waitUntil(p),
		logger,
	})
	const runner = agentRuntime(env, logger)
	const alarms = new AlarmScheduler(ctx.storage, logger)
	const store = new LaneStore(ctx.storage.sql)
	const relays = new LaneRelays({
		sql: ctx.storage.sql,
		transaction: (fn) => ctx.storage.transactionSync(fn),
		lane: name,
		kinds: followerKinds(env),
		events: {
			after: (seq, limit) => (store.exists() ? store.events.after(seq, limit) : []),
			lastSeq: () => (store.exists() ? store.events.lastSeq() : 0),
		},
		logger,
		waitUntil: (p) => ctx.waitUntil(p),
	})
	const subscribers = new LaneSubscribers(ctx, relays)
	const host: LaneHost = {
		store,
		transaction: (fn) => ctx.storage.transactionSync(fn),
		now: Date.now,
		newId: () => crypto.randomUUID(),
		setAlarm: (at) => alarms.set(at),
		alarmPending: () => alarms.pending(),
		deleteAll: () => {
			const wiped = ctx.storage.deleteAll()
			// SQLite storage wipes at once: nothing the store kept of it holds from here.
			store.rolledBack()
			return wiped
		},
		subscribers,
		gate: (tenantId) => {
			const gate = env.TENANT_GATE.getByName(tenantId)
			return {
				acquire: (ttlMs, limit) => gate.acquire(name, ttlMs, limit),
				release: () => gate.release(name),
			}
		},
		index,
		runnerFor: () => runner,
		usage,
		metrics: metrics.sink,
		flushWrites: async () => {
			await Promise.all([usage.settled(), metrics.rollups?.settled()])
		},
		toolbox: createToolbox(env, {
			logger,
			waitUntil: (p) => ctx.waitUntil(p),
		}),
		replies: replySink(env, name, logger),
		subagents: subagentHost(env),
		waitUntil: (p) => ctx.waitUntil(p),
		logger,
	}
	const lane = new Lane(host)
	subscribers.streamClosed = () => lane.streamClosed()
	return { lane, store, subscribers, alarms, relays }
}
