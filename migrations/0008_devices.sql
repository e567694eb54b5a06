CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`device_id` text NOT NULL,
	`public_key` text NOT NULL,
	`display_name` text,
	`platform` text,
	`client_id` text,
	`client_mode` text,
	`role` text,
	`scopes` text DEFAULT '[]' NOT NULL,
	`key_scopes` text DEFAULT '[]' NOT NULL,
	`status` text NOT NULL,
	`requested_by` text NOT NULL,
	`requested_at` integer NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`token_hash` text,
	`token_issued_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_tenant_device_idx` ON `devices` (`tenant_id`,`device_id`);