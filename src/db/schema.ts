// The D1 schema: configuration (tenants, agents, keys, policies, channels), the sessions index,
// tool executions and the audit log (observability tables: observability-schema.ts). drizzle-kit
// generates migrations/ from both files.
import { sql } from 'drizzle-orm'
import {
	foreignKey,
	index,
	integer,
	primaryKey,
	sqliteTable,
	text,
	uniqueIndex,
} from 'drizzle-orm/sqlite-core'

/** Milliseconds since the epoch, stored as an integer and read as a Date. */
const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })
const createdAt = () => timestamp('created_at').notNull().default(sql`(unixepoch('subsec') * 1000)`)
const updatedAt = () => timestamp('updated_at').notNull().default(sql`(unixepoch('subsec') * 1000)`)

/** A tenant owns everything else; every other table is keyed by `tenant_id`. */
export const tenants = sqliteTable('tenants', {
	id: text('id').primaryKey(),
	name: text('name').notNull(),
	/** `disabled`: every credential of the tenant is refused at once; its data is kept. */
	status: text('status', { enum: ['active', 'disabled'] })
		.notNull()
		.default('active'),
	/** Tenant settings (rate limits, token budgets, …) as validated JSON. */
	settings: text('settings', { mode: 'json' }).notNull().default({}),
	createdAt: createdAt(),
	updatedAt: updatedAt(),
})

/** Agents: config is JSON validated by `AgentConfig` (src/agents/config.ts); `version` counts edits. */
export const agents = sqliteTable(
	'agents',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		id: text('id').notNull(),
		name: text('name').notNull(),
		version: integer('version').notNull().default(1),
		config: text('config', { mode: 'json' }).notNull(),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [primaryKey({ columns: [t.tenantId, t.id] })],
)

/** Every version of every agent's config, written with the change; the audit log says who. */
export const agentVersions = sqliteTable(
	'agent_versions',
	{
		tenantId: text('tenant_id').notNull(),
		agentId: text('agent_id').notNull(),
		version: integer('version').notNull(),
		name: text('name').notNull(),
		config: text('config', { mode: 'json' }).notNull(),
		actor: text('actor').notNull(),
		createdAt: createdAt(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.agentId, t.version] }),
		foreignKey({
			columns: [t.tenantId, t.agentId],
			foreignColumns: [agents.tenantId, agents.id],
		}).onDelete('cascade'),
	],
)

/** API keys `ek_<id>_<secret>`: only a hash of the secret is stored. */
export const apiKeys = sqliteTable(
	'api_keys',
	{
		id: text('id').primaryKey(),
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		secretHash: text('secret_hash').notNull(),
		role: text('role', { enum: ['admin', 'operator', 'member', 'viewer'] }).notNull(),
		scopes: text('scopes', { mode: 'json' }).notNull().default([]),
		expiresAt: timestamp('expires_at'),
		revokedAt: timestamp('revoked_at'),
		lastUsedAt: timestamp('last_used_at'),
		createdAt: createdAt(),
	},
	(t) => [index('api_keys_tenant_idx').on(t.tenantId, t.createdAt)],
)

/**
 * OpenClaw devices (Ed25519 identities) of a tenant: a pairing request while `pending`, then a
 * paired device with at most its approver's access (`role` is the edgeclaw role it acts as,
 * `scopes` its OpenClaw scopes, `key_scopes` the approver key's action limits). Only a hash of its
 * device token is kept; no hash, no token.
 */
export const devices = sqliteTable(
	'devices',
	{
		/** The row's id: names the pairing request (`requestId`) and prefixes its device token. */
		id: text('id').primaryKey(),
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		/** Hex SHA-256 of the raw public key. */
		deviceId: text('device_id').notNull(),
		publicKey: text('public_key').notNull(),
		displayName: text('display_name'),
		platform: text('platform'),
		clientId: text('client_id'),
		clientMode: text('client_mode'),
		role: text('role', { enum: ['admin', 'operator', 'member', 'viewer'] }),
		scopes: text('scopes', { mode: 'json' }).notNull().default([]),
		keyScopes: text('key_scopes', { mode: 'json' }).notNull().default([]),
		status: text('status', { enum: ['pending', 'paired', 'rejected', 'revoked'] }).notNull(),
		requestedBy: text('requested_by').notNull(),
		requestedAt: timestamp('requested_at').notNull(),
		decidedBy: text('decided_by'),
		decidedAt: timestamp('decided_at'),
		tokenHash: text('token_hash'),
		tokenIssuedAt: timestamp('token_issued_at'),
	},
	(t) => [uniqueIndex('devices_tenant_device_idx').on(t.tenantId, t.deviceId)],
)

/** Policies for the policy engine: tools and routes alike (default deny, deny wins). */
export const policies = sqliteTable(
	'policies',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		id: text('id').notNull(),
		description: text('description').notNull().default(''),
		effect: text('effect', { enum: ['allow', 'deny'] }).notNull(),
		resources: text('resources', { mode: 'json' }).notNull(),
		actions: text('actions', { mode: 'json' }).notNull(),
		conditions: text('conditions', { mode: 'json' }).notNull().default([]),
		priority: integer('priority').notNull().default(0),
		enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.id] }),
		index('policies_tenant_priority_idx').on(t.tenantId, t.priority),
	],
)

/**
 * Channels: a chat platform or signed-webhook endpoint routed to an agent. `config` is JSON
 * validated by the channel kind's schema (src/channels/); it names tenant secrets, never holds one.
 */
export const channels = sqliteTable(
	'channels',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		id: text('id').notNull(),
		kind: text('kind').notNull(),
		agentId: text('agent_id').notNull(),
		config: text('config', { mode: 'json' }).notNull().default({}),
		enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.id] }),
		foreignKey({
			columns: [t.tenantId, t.agentId],
			foreignColumns: [agents.tenantId, agents.id],
		}).onDelete('cascade'),
		index('channels_tenant_agent_idx').on(t.tenantId, t.agentId),
	],
)

/** Senders a channel admits beside its config's `allowFrom`: those approved through pairing. */
export const channelAllow = sqliteTable(
	'channel_allow',
	{
		tenantId: text('tenant_id').notNull(),
		channelId: text('channel_id').notNull(),
		senderId: text('sender_id').notNull(),
		name: text('name'),
		/** Who approved it (`key:<id>`, `admin-token`, …). */
		addedBy: text('added_by').notNull(),
		createdAt: createdAt(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.channelId, t.senderId] }),
		foreignKey({
			columns: [t.tenantId, t.channelId],
			foreignColumns: [channels.tenantId, channels.id],
		}).onDelete('cascade'),
	],
)

/** Pending pairing codes: an unknown DM sender waits here until an operator approves the code. */
export const channelPairings = sqliteTable(
	'channel_pairings',
	{
		tenantId: text('tenant_id').notNull(),
		channelId: text('channel_id').notNull(),
		code: text('code').notNull(),
		senderId: text('sender_id').notNull(),
		senderName: text('sender_name'),
		/** Where to tell the sender (the reply target of the message that asked), JSON. */
		replyTo: text('reply_to', { mode: 'json' }).notNull(),
		/** Dedupe key of the event that created the request: a platform retry sends no second code. */
		eventKey: text('event_key').notNull(),
		notifiedAt: timestamp('notified_at').notNull(),
		createdAt: createdAt(),
		expiresAt: timestamp('expires_at').notNull(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.channelId, t.code] }),
		uniqueIndex('channel_pairings_sender_idx').on(t.tenantId, t.channelId, t.senderId),
		foreignKey({
			columns: [t.tenantId, t.channelId],
			foreignColumns: [channels.tenantId, channels.id],
		}).onDelete('cascade'),
	],
)

/** Replies a channel could not deliver (the session lane's outbox gave up): the dead letters. */
export const channelDeadLetters = sqliteTable(
	'channel_dead_letters',
	{
		tenantId: text('tenant_id').notNull(),
		channelId: text('channel_id').notNull(),
		deliveryId: text('delivery_id').notNull(),
		agentId: text('agent_id').notNull(),
		sessionKey: text('session_key').notNull(),
		runId: text('run_id'),
		kind: text('kind').notNull(),
		part: integer('part').notNull(),
		parts: integer('parts').notNull(),
		attempts: integer('attempts').notNull(),
		error: text('error').notNull(),
		failedAt: timestamp('failed_at').notNull(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.channelId, t.deliveryId] }),
		index('channel_dead_letters_failed_idx').on(t.tenantId, t.channelId, t.failedAt),
		foreignKey({
			columns: [t.tenantId, t.channelId],
			foreignColumns: [channels.tenantId, channels.id],
		}).onDelete('cascade'),
	],
)

/** Index of sessions so they can be listed without waking every SessionLane. */
export const sessions = sqliteTable(
	'sessions',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		agentId: text('agent_id').notNull(),
		sessionKey: text('session_key').notNull(),
		messageCount: integer('message_count').notNull().default(0),
		lastRunId: text('last_run_id'),
		lastRunStatus: text('last_run_status', {
			enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
		}),
		/** Tool calls of the session waiting for a human's decision (the tenant's approvals list). */
		pendingApprovals: integer('pending_approvals').notNull().default(0),
		/** Runs waiting in the lane's queue (health: queue depth per lane). */
		queuedRuns: integer('queued_runs').notNull().default(0),
		/** Since when a run has been past its deadline without recovery resolving it; null = not stuck. */
		stuckSince: integer('stuck_since'),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.agentId, t.sessionKey] }),
		foreignKey({
			columns: [t.tenantId, t.agentId],
			foreignColumns: [agents.tenantId, agents.id],
		}).onDelete('cascade'),
		index('sessions_tenant_updated_idx').on(t.tenantId, t.updatedAt),
		index('sessions_tenant_agent_updated_idx').on(t.tenantId, t.agentId, t.updatedAt),
		// The tenant's approvals list reads the few sessions with pending_approvals > 0 by range.
		index('sessions_tenant_pending_idx').on(t.tenantId, t.pendingApprovals),
		// The platform's health view reads stuck lanes and the deepest queues across tenants.
		index('sessions_stuck_idx').on(t.stuckSince),
		index('sessions_queued_idx').on(t.queuedRuns),
	],
)

/** One row per tool call the consumer handled: who, what, the decision and the outcome. */
export const toolExecutions = sqliteTable(
	'tool_executions',
	{
		id: text('id').primaryKey(),
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		agentId: text('agent_id').notNull(),
		sessionKey: text('session_key').notNull(),
		runId: text('run_id').notNull(),
		/** The tool call's id in the transcript. */
		callId: text('call_id'),
		/** Who the run acts for: `admin-token`, `key:<id>` or `jwt:<subject>`. */
		actor: text('actor'),
		/** Every principal whose message the run carries (steers included), actor first. */
		principals: text('principals', { mode: 'json' }).notNull().default([]),
		tool: text('tool').notNull(),
		/** SHA-256 of the canonical JSON of the arguments: comparable, never the arguments. */
		argsDigest: text('args_digest').notNull(),
		decision: text('decision', { enum: ['allow', 'deny'] }).notNull(),
		policyId: text('policy_id'),
		/** Where it ran: `lane` (in the session's lane) or `job` (a tool job on Queues). */
		placement: text('placement', { enum: ['lane', 'job'] }),
		status: text('status', {
			enum: ['running', 'succeeded', 'failed', 'denied', 'timeout', 'dead_lettered', 'skipped'],
		}).notNull(),
		/** The outcome's code when it failed (`tool_denied`, `sandbox_unavailable`, …). */
		code: text('code'),
		attempts: integer('attempts').notNull().default(1),
		startedAt: timestamp('started_at').notNull(),
		durationMs: integer('duration_ms'),
		bytesIn: integer('bytes_in').notNull().default(0),
		bytesOut: integer('bytes_out').notNull().default(0),
		error: text('error'),
		/** The W3C trace id of the run the call belonged to, when it had one. */
		traceId: text('trace_id'),
	},
	(t) => [
		index('tool_executions_tenant_started_idx').on(t.tenantId, t.startedAt),
		index('tool_executions_tenant_session_idx').on(t.tenantId, t.sessionKey, t.startedAt),
	],
)

/** Token usage per tenant, UTC day, agent and model; budgets are checked against it. */
export const usageDaily = sqliteTable(
	'usage_daily',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		/** UTC day, `YYYY-MM-DD`. */
		day: text('day').notNull(),
		agentId: text('agent_id').notNull(),
		model: text('model').notNull(),
		calls: integer('calls').notNull().default(0),
		errors: integer('errors').notNull().default(0),
		inputTokens: integer('input_tokens').notNull().default(0),
		outputTokens: integer('output_tokens').notNull().default(0),
		latencyMs: integer('latency_ms').notNull().default(0),
	},
	(t) => [primaryKey({ columns: [t.tenantId, t.day, t.agentId, t.model] })],
)

/**
 * The audit log: one hash chain per tenant. `hash = SHA-256(prev_hash || canonical JSON)`;
 * the primary key
 * (tenant, seq) stops two writers from forking a chain.
 */
export const auditLog = sqliteTable(
	'audit_log',
	{
		tenantId: text('tenant_id').notNull(),
		seq: integer('seq').notNull(),
		ts: timestamp('ts').notNull(),
		actor: text('actor').notNull(),
		action: text('action').notNull(),
		target: text('target'),
		outcome: text('outcome', { enum: ['success', 'failure', 'deny'] }).notNull(),
		requestId: text('request_id'),
		/** W3C trace id of the request or run that did it; null for rows from before traces. */
		traceId: text('trace_id'),
		data: text('data', { mode: 'json' }).notNull().default({}),
		prevHash: text('prev_hash').notNull(),
		hash: text('hash').notNull(),
		/** Id of the audit key whose HMAC `hash` is; null for rows hashed with plain SHA-256. */
		keyId: text('key_id'),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.seq] }),
		index('audit_log_tenant_ts_idx').on(t.tenantId, t.ts),
		index('audit_log_tenant_action_idx').on(t.tenantId, t.action, t.ts),
	],
)

/**
 * A tenant's own secrets (provider keys, MCP and channel credentials), encrypted with AES-256-GCM
 * under the deployment's secrets key (`key_id` names which one, so the key can be rotated).
 * Write-only through the API: the value is never returned.
 */
export const tenantSecrets = sqliteTable(
	'tenant_secrets',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		keyId: text('key_id').notNull(),
		/** base64 of the 12-byte GCM nonce. */
		iv: text('iv').notNull(),
		/** base64 of the ciphertext and tag; the additional data binds it to tenant and name. */
		ciphertext: text('ciphertext').notNull(),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
		updatedBy: text('updated_by').notNull(),
	},
	(t) => [primaryKey({ columns: [t.tenantId, t.name] })],
)

/**
 * Schedules (src/automation/schedules/): when a message goes to which agent session, and where its
 * answer goes. The definition is validated JSON; the due time and the fire ledger live in the
 * schedule's own ScheduleTimer object, which writes back the latest outcome and the next due time.
 */
export const schedules = sqliteTable(
	'schedules',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		id: text('id').notNull(),
		agentId: text('agent_id').notNull(),
		/** The normalised definition (`ScheduleDefinition`), compared whole by an idempotent create. */
		definition: text('definition', { mode: 'json' }).notNull(),
		enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
		/** Bumped by every write; the timer object re-reads a definition newer than the one it armed. */
		version: integer('version').notNull().default(1),
		/** Where `every` slots are counted from (ms). */
		anchorAt: integer('anchor_at').notNull(),
		/** Who the turns act for: the principal of the last write, as a ToolSubject (JSON). */
		subject: text('subject', { mode: 'json' }).notNull(),
		/** The webhook delivery's signing secret, sealed like a tenant secret (null without one). */
		secretKeyId: text('secret_key_id'),
		secretIv: text('secret_iv'),
		secretCiphertext: text('secret_ciphertext'),
		nextDueAt: integer('next_due_at'),
		lastRunAt: integer('last_run_at'),
		lastStatus: text('last_status'),
		consecutiveFailures: integer('consecutive_failures').notNull().default(0),
		/** Why the scheduler turned the schedule off (`enabled` false), e.g. after 10 failures. */
		disabledReason: text('disabled_reason'),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.id] }),
		foreignKey({
			columns: [t.tenantId, t.agentId],
			foreignColumns: [agents.tenantId, agents.id],
		}).onDelete('cascade'),
		index('schedules_tenant_agent_idx').on(t.tenantId, t.agentId),
		// The alert evaluation's read of failing schedules (src/db/alerts.ts `failingSchedules`):
		// only rows with a failure streak (FAILING_STREAK), a handful, are in it.
		index('schedules_failing_idx').on(t.tenantId).where(sql`consecutive_failures >= 2`),
	],
)

export type Tenant = typeof tenants.$inferSelect
export type AgentRow = typeof agents.$inferSelect
