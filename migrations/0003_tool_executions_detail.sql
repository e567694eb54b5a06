ALTER TABLE `tool_executions` ADD `call_id` text;--> statement-breakpoint
ALTER TABLE `tool_executions` ADD `actor` text;--> statement-breakpoint
ALTER TABLE `tool_executions` ADD `placement` text;--> statement-breakpoint
ALTER TABLE `tool_executions` ADD `code` text;