CREATE TABLE `agent_versions` (
	`tenant_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`version` integer NOT NULL,
	`name` text NOT NULL,
	`config` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`tenant_id`, `agent_id`, `version`),
	FOREIGN KEY (`tenant_id`,`agent_id`) REFERENCES `agents`(`tenant_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `usage_daily` (
	`tenant_id` text NOT NULL,
	`day` text NOT NULL,
	`agent_id` text NOT NULL,
	`model` text NOT NULL,
	`calls` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`latency_ms` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant_id`, `day`, `agent_id`, `model`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Agents that exist before versions were kept start their history at their current version.
INSERT OR IGNORE INTO `agent_versions` (`tenant_id`, `agent_id`, `version`, `name`, `config`, `actor`, `created_at`)
SELECT `tenant_id`, `id`, `version`, `name`, `config`, 'system', `created_at` FROM `agents`;
