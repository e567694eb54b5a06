// The D1 tables of observability: per-minute metric rollups and alert episodes. drizzle-kit reads
// it beside schema.ts (drizzle.config.ts).
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { tenants } from './schema'

/**
 * Per-minute rollups of the metric points (src/observability/rollups.ts): what the metrics API
 * serves where Analytics Engine cannot be read, and what alerts are evaluated on. No foreign key:
 * points of no tenant (`_platform`) are kept too, and rows are pruned by age, not by tenant.
 * `h0`…`h15` count durations into the buckets of ROLLUP_BUCKETS_MS (the last one unbounded).
 */
export const metricsMinute = sqliteTable(
	'metrics_minute',
	{
		tenantId: text('tenant_id').notNull(),
		/** Start of the UTC minute, epoch ms. */
		minute: integer('minute').notNull(),
		kind: text('kind').notNull(),
		agentId: text('agent_id').notNull(),
		dim: text('dim').notNull(),
		outcome: text('outcome').notNull(),
		count: integer('count').notNull().default(0),
		errors: integer('errors').notNull().default(0),
		durationMs: real('duration_ms').notNull().default(0),
		inputTokens: integer('input_tokens').notNull().default(0),
		outputTokens: integer('output_tokens').notNull().default(0),
		costUsd: real('cost_usd').notNull().default(0),
		/** Points whose cost was known (a model's price); cost_usd sums only those. */
		costKnown: integer('cost_known').notNull().default(0),
		queueWaitMs: real('queue_wait_ms').notNull().default(0),
		bytes: integer('bytes').notNull().default(0),
		/** Sum of the kind's `value` (lane points: their value; model calls: 1 per failover). */
		value: real('value').notNull().default(0),
		h0: integer('h0').notNull().default(0),
		h1: integer('h1').notNull().default(0),
		h2: integer('h2').notNull().default(0),
		h3: integer('h3').notNull().default(0),
		h4: integer('h4').notNull().default(0),
		h5: integer('h5').notNull().default(0),
		h6: integer('h6').notNull().default(0),
		h7: integer('h7').notNull().default(0),
		h8: integer('h8').notNull().default(0),
		h9: integer('h9').notNull().default(0),
		h10: integer('h10').notNull().default(0),
		h11: integer('h11').notNull().default(0),
		h12: integer('h12').notNull().default(0),
		h13: integer('h13').notNull().default(0),
		h14: integer('h14').notNull().default(0),
		h15: integer('h15').notNull().default(0),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.minute, t.kind, t.agentId, t.dim, t.outcome] }),
		index('metrics_minute_kind_idx').on(t.tenantId, t.kind, t.minute),
		index('metrics_minute_age_idx').on(t.minute),
	],
)

/**
 * Alert episodes per tenant and rule (src/observability/alerts.ts): a row opens when a rule's
 * threshold is crossed and resolves when it clears, so each episode notifies once.
 */
export const alertEpisodes = sqliteTable(
	'alert_episodes',
	{
		tenantId: text('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		id: text('id').notNull(),
		/** One of ALERT_RULES: `error_rate`, `latency_p95`, `stuck_lanes`, …, `failing_schedules`. */
		rule: text('rule').notNull(),
		status: text('status', { enum: ['open', 'resolved'] }).notNull(),
		/** The value that crossed the threshold, and the threshold, in the rule's unit. */
		value: real('value').notNull(),
		threshold: real('threshold').notNull(),
		openedAt: integer('opened_at').notNull(),
		resolvedAt: integer('resolved_at'),
		/** Webhook state: `none` (no URL), `pending`, `sent`, `failed`. */
		notified: text('notified').notNull().default('none'),
		/**
		 * When an evaluation took the pending notification to send it (epoch ms, wall clock); null
		 * when none holds it. Overlapping evaluations never send one notification at once.
		 */
		notifyClaimedAt: integer('notify_claimed_at'),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.id] }),
		index('alert_episodes_open_idx').on(t.tenantId, t.rule, t.status),
		index('alert_episodes_opened_idx').on(t.tenantId, t.openedAt),
	],
)
