CREATE TABLE `memories` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`user_key` text DEFAULT '' NOT NULL,
	`text` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`pinned` integer DEFAULT false NOT NULL,
	`created_by` text NOT NULL,
	`source_session` text,
	`source_run` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`,`agent_id`) REFERENCES `agents`(`tenant_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memories_id_idx` ON `memories` (`id`);--> statement-breakpoint
CREATE INDEX `memories_owner_idx` ON `memories` (`tenant_id`,`agent_id`,`user_key`,`seq`);--> statement-breakpoint
CREATE INDEX `memories_pinned_idx` ON `memories` (`tenant_id`,`agent_id`,`pinned`,`updated_at`);--> statement-breakpoint
-- Hand-written below (drizzle-kit cannot describe virtual tables or triggers): the full-text index
-- of memories, an external-content FTS5 table over `memories` (text and tags), kept in step by
-- the three triggers. bm25() ranks; `remove_diacritics 2` folds accents for matching.
CREATE VIRTUAL TABLE `memories_fts` USING fts5(`text`, `tags`, content='memories', content_rowid='seq', tokenize='unicode61 remove_diacritics 2');--> statement-breakpoint
CREATE TRIGGER `memories_fts_insert` AFTER INSERT ON `memories` BEGIN
	INSERT INTO `memories_fts` (rowid, `text`, `tags`) VALUES (new.`seq`, new.`text`, new.`tags`);
END;--> statement-breakpoint
CREATE TRIGGER `memories_fts_delete` AFTER DELETE ON `memories` BEGIN
	INSERT INTO `memories_fts` (`memories_fts`, rowid, `text`, `tags`) VALUES ('delete', old.`seq`, old.`text`, old.`tags`);
END;--> statement-breakpoint
CREATE TRIGGER `memories_fts_update` AFTER UPDATE OF `text`, `tags` ON `memories` BEGIN
	INSERT INTO `memories_fts` (`memories_fts`, rowid, `text`, `tags`) VALUES ('delete', old.`seq`, old.`text`, old.`tags`);
	INSERT INTO `memories_fts` (rowid, `text`, `tags`) VALUES (new.`seq`, new.`text`, new.`tags`);
END;
