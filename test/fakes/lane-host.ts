// A lane over a Durable Object's real SQLite with a host of fakes: no tenant gate or sockets, a
// sessions index and metrics that only record, a clock the test owns (the outbox's retry waits
// move it instead of passing time), the real offline model (or the test's runner) and tools, and
// the reply sink the test passes in.
import { env } from 'cloudflare:test'
import { AgentConfig } from '../../src/agents/config'
import type { AgentRunner, AgentSnapshot } from '../../src/agents/runner'
import { agentRuntime } from '../../src/agents/runtime'
import type { SubagentHost } from '../../src/automation/subagents/ports'
import { chunkText } from '../../src/channels/chunk'
import type {
	DeliveryResult,
	IndexRow,
	OutboundDelivery,
	ReplySink,
	SessionIndex,
} from '../../src/lanes/host'
import { Lane } from '../../src/lanes/lane'
import { LaneStore } from '../../src/lanes/store'
import type { LaneEvent, ReplyRoute, SubmitRequest } from '../../src/lanes/types'
import type { Logger } from '../../src/observability/logger'
import type { MetricPoint, MetricsSink } from '../../src/observability/metrics'
import type { ToolSubject } from '../../src/security/subject'
import { createToolbox, type Toolbox } from '../../src/tools/toolbox'
import { silentLogger } from './logs'

const PLATFORM_ADMIN = { kind: 'platform', id: 'admin-token', role: 'admin' } as const

/** The admin token's principal on the default tenant, sending over the HTTP API. */
export const ADMIN: ToolSubject = {
	...PLATFORM_ADMIN,
	tenantId: 'default',
	scopes: [],
	channel: 'api',
}

export const agentOf = (config: Record<string, unknown> = {}): AgentSnapshot => ({
	tenantId: 'default',
	id: 'main',
	version: 1,
	config: AgentConfig.parse({ model: { primary: 'offline:echo' }, ...config }),
})

const AGENT = agentOf()

export const route = (chat: string): ReplyRoute => ({
	channelId: `tg-${chat}`,
	kind: 'telegram',
	target: { chatId: chat },
})

/**
 * A reply sink that records what it is asked; `answer` decides each send (throw to fail), `typed`
 * each typing call and `recorded` each dead-letter record (throw to fail, never settle to hang).
 */
export function fakeSink(limit = 4096) {
	const s = {
		answer: (_d: OutboundDelivery): DeliveryResult | Promise<DeliveryResult> => ({ ok: true }),
		typed: (_r: ReplyRoute): Promise<void> => Promise.resolve(),
		recorded: (_d: OutboundDelivery): Promise<void> => Promise.resolve(),
		/** Every send, in order (each try of each delivery). */
		calls: [] as OutboundDelivery[],
		typing: [] as ReplyRoute[],
		/** Every dead-letter record asked for (each try). */
		dead: [] as { delivery: OutboundDelivery; error: string }[],
		/** Deliveries the sink took (answered ok), by id → how many times. */
		delivered: new Map<string, number>(),
		sink: undefined as unknown as ReplySink,
	}
	s.sink = {
		chunk: (_route, text) => chunkText(text, limit),
		async send(d) {
			s.calls.push(d)
			const result = await s.answer(d)
			if (result.ok) s.delivered.set(d.id, (s.delivered.get(d.id) ?? 0) + 1)
			return result
		},
		async typing(r) {
			s.typing.push(r)
			await s.typed(r)
		},
		async failed(delivery, error) {
			s.dead.push({ delivery, error })
			await s.recorded(delivery)
		},
	}
	return s
}

export interface Repeater {
	ms: number
	fn: () => void
	stopped: boolean
}

/** A one-shot timer of the outbox (a send's, a typing call's or a record's timeout). */
export interface Timeout {
	ms: number
	/** Fires it now (what passing `ms` would do). */
	fire: () => void
	cleared: boolean
}

export interface LaneHarness {
	lane: Lane
	store: LaneStore
	/** The host's clock; the outbox's retry waits move it. */
	clock: { now: number }
	/** Waits the outbox asked for, in order. */
	sleeps: number[]
	/** While set, the outbox's waits never end (an object that goes away during a backoff). */
	stall: boolean
	/** Repeating timers (typing), stopped or not. */
	repeaters: Repeater[]
	/** One-shot timers (timeouts): they fire only when the test fires them. */
	timeouts: Timeout[]
	alarms: (number | null)[]
	/** Every event broadcast after its commit. */
	events: LaneEvent[]
	/** Every metric point the lane wrote. */
	points: MetricPoint[]
	/** Every row the lane asked the sessions index to write, in order. */
	indexed: IndexRow[]
	/** For each of those, whether it asked for the write at once (`now`). */
	indexedNow: boolean[]
	request(text: string, reply?: ReplyRoute, more?: Partial<SubmitRequest>): SubmitRequest
	/** Waits until every background promise so far (the outbox's drain) has settled. */
	settled(): Promise<void>
}

/** A lane over `state`'s storage (a fresh LaneStore: what a restarted object would read). */
export function laneOver(
	state: DurableObjectState,
	sink: ReplySink | undefined,
	options: {
		sessionKey?: string
		logger?: Logger
		clock?: { now: number }
		/** The model (default: the real runtime over the offline model). */
		runner?: AgentRunner
		/** The tools' deployment (default: the real toolbox over the test bindings). */
		toolbox?: Toolbox
		/** Where metric points go (default: recorded in `points`). */
		metrics?: MetricsSink
		/** Other lanes and agents, for subagents (default: none). */
		subagents?: SubagentHost
		/** The sessions index (default: one that records every row asked for, read at once). */
		index?: SessionIndex
	} = {},
): LaneHarness {
	const logger = options.logger ?? silentLogger()
	const store = new LaneStore(state.storage.sql)
	const pending: Promise<unknown>[] = []
	const waitUntil = (p: Promise<unknown>) => {
		pending.push(p)
	}
	const session = { tenantId: 'default', agentId: 'main', sessionKey: options.sessionKey ?? 'fake' }
	const runner = options.runner ?? agentRuntime(env, logger)
	const h: LaneHarness = {
		lane: undefined as unknown as Lane,
		store,
		clock: options.clock ?? { now: Date.now() },
		sleeps: [],
		stall: false,
		repeaters: [],
		timeouts: [],
		alarms: [],
		events: [],
		points: [],
		indexed: [],
		indexedNow: [],
		request: (text, reply, more = {}) => ({
			session,
			agent: AGENT,
			content: [{ type: 'text', text }],
			mode: 'followup',
			maxConcurrentRuns: null,
			subject: ADMIN,
			...(reply && { reply }),
			...more,
		}),
		async settled() {
			for (let seen = -1; seen !== pending.length; ) {
				seen = pending.length
				await new Promise((r) => setTimeout(r, 0))
				await Promise.allSettled(pending)
			}
		},
	}
	h.lane = new Lane(
		{
			store,
			transaction: (fn) => state.storage.transactionSync(fn),
			now: () => h.clock.now,
			newId: () => crypto.randomUUID(),
			setAlarm: (at) => {
				h.alarms.push(at)
			},
			alarmPending: () => false,
			deleteAll: () => state.storage.deleteAll(),
			subscribers: { broadcast: (e) => h.events.push(e), closeAll() {} },
			gate: () => {
				throw new Error('these lanes are uncapped')
			},
			index: options.index ?? {
				upsert: (_session, row, options) => {
					// Read at once: what the index would write if the write went out now.
					h.indexed.push(typeof row === 'function' ? row() : row)
					h.indexedNow.push(options?.now === true)
				},
				async remove() {},
			},
			runnerFor: () => runner,
			usage: { record() {} },
			toolbox: options.toolbox ?? createToolbox(env, { logger, waitUntil }),
			replies: sink,
			...(options.subagents && { subagents: options.subagents }),
			waitUntil,
			logger,
			metrics: options.metrics ?? { write: (point) => h.points.push(point) },
		},
		{
			outboxTimers: {
				sleep: async (ms) => {
					h.sleeps.push(ms)
					if (h.stall) await new Promise(() => {})
					h.clock.now += ms
				},
				every: (ms, fn) => {
					const r: Repeater = { ms, fn, stopped: false }
					h.repeaters.push(r)
					return () => {
						r.stopped = true
					}
				},
				after: (ms, fn) => {
					const t: Timeout = { ms, fire: fn, cleared: false }
					h.timeouts.push(t)
					return () => {
						t.cleared = true
					}
				},
			},
		},
	)
	return h
}
