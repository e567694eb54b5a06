CREATE TABLE `alert_episodes` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`rule` text NOT NULL,
	`status` text NOT NULL,
	`value` real NOT NULL,
	`threshold` real NOT NULL,
	`opened_at` integer NOT NULL,
	`resolved_at` integer,
	`notified` text DEFAULT 'none' NOT NULL,
	`notify_claimed_at` integer,
	PRIMARY KEY(`tenant_id`, `id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alert_episodes_open_idx` ON `alert_episodes` (`tenant_id`,`rule`,`status`);--> statement-breakpoint
CREATE INDEX `alert_episodes_opened_idx` ON `alert_episodes` (`tenant_id`,`opened_at`);--> statement-breakpoint
CREATE TABLE `metrics_minute` (
	`tenant_id` text NOT NULL,
	`minute` integer NOT NULL,
	`kind` text NOT NULL,
	`agent_id` text NOT NULL,
	`dim` text NOT NULL,
	`outcome` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`duration_ms` real DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`cost_known` integer DEFAULT 0 NOT NULL,
	`queue_wait_ms` real DEFAULT 0 NOT NULL,
	`bytes` integer DEFAULT 0 NOT NULL,
	`value` real DEFAULT 0 NOT NULL,
	`h0` integer DEFAULT 0 NOT NULL,
	`h1` integer DEFAULT 0 NOT NULL,
	`h2` integer DEFAULT 0 NOT NULL,
	`h3` integer DEFAULT 0 NOT NULL,
	`h4` integer DEFAULT 0 NOT NULL,
	`h5` integer DEFAULT 0 NOT NULL,
	`h6` integer DEFAULT 0 NOT NULL,
	`h7` integer DEFAULT 0 NOT NULL,
	`h8` integer DEFAULT 0 NOT NULL,
	`h9` integer DEFAULT 0 NOT NULL,
	`h10` integer DEFAULT 0 NOT NULL,
	`h11` integer DEFAULT 0 NOT NULL,
	`h12` integer DEFAULT 0 NOT NULL,
	`h13` integer DEFAULT 0 NOT NULL,
	`h14` integer DEFAULT 0 NOT NULL,
	`h15` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant_id`, `minute`, `kind`, `agent_id`, `dim`, `outcome`)
);
--> statement-breakpoint
CREATE INDEX `metrics_minute_kind_idx` ON `metrics_minute` (`tenant_id`,`kind`,`minute`);--> statement-breakpoint
CREATE INDEX `metrics_minute_age_idx` ON `metrics_minute` (`minute`);--> statement-breakpoint
ALTER TABLE `audit_log` ADD `trace_id` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `queued_runs` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `stuck_since` integer;--> statement-breakpoint
CREATE INDEX `sessions_stuck_idx` ON `sessions` (`stuck_since`);--> statement-breakpoint
CREATE INDEX `sessions_queued_idx` ON `sessions` (`queued_runs`);--> statement-breakpoint
ALTER TABLE `tool_executions` ADD `trace_id` text;