CREATE TABLE `channel_allow` (
	`tenant_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`sender_id` text NOT NULL,
	`name` text,
	`added_by` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`tenant_id`, `channel_id`, `sender_id`),
	FOREIGN KEY (`tenant_id`,`channel_id`) REFERENCES `channels`(`tenant_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `channel_dead_letters` (
	`tenant_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`session_key` text NOT NULL,
	`run_id` text,
	`kind` text NOT NULL,
	`part` integer NOT NULL,
	`parts` integer NOT NULL,
	`attempts` integer NOT NULL,
	`error` text NOT NULL,
	`failed_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `channel_id`, `delivery_id`),
	FOREIGN KEY (`tenant_id`,`channel_id`) REFERENCES `channels`(`tenant_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `channel_dead_letters_failed_idx` ON `channel_dead_letters` (`tenant_id`,`channel_id`,`failed_at`);--> statement-breakpoint
CREATE TABLE `channel_pairings` (
	`tenant_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`code` text NOT NULL,
	`sender_id` text NOT NULL,
	`sender_name` text,
	`reply_to` text NOT NULL,
	`event_key` text NOT NULL,
	`notified_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `channel_id`, `code`),
	FOREIGN KEY (`tenant_id`,`channel_id`) REFERENCES `channels`(`tenant_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `channel_pairings_sender_idx` ON `channel_pairings` (`tenant_id`,`channel_id`,`sender_id`);--> statement-breakpoint
ALTER TABLE `channels` DROP COLUMN `secret_ref`;