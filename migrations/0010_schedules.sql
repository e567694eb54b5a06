CREATE TABLE `schedules` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`agent_id` text NOT NULL,
	`definition` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`anchor_at` integer NOT NULL,
	`subject` text NOT NULL,
	`secret_key_id` text,
	`secret_iv` text,
	`secret_ciphertext` text,
	`next_due_at` integer,
	`last_run_at` integer,
	`last_status` text,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`disabled_reason` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`tenant_id`, `id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tenant_id`,`agent_id`) REFERENCES `agents`(`tenant_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `schedules_tenant_agent_idx` ON `schedules` (`tenant_id`,`agent_id`);