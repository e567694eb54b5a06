ALTER TABLE `sessions` ADD `pending_approvals` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `sessions_tenant_pending_idx` ON `sessions` (`tenant_id`,`pending_approvals`);