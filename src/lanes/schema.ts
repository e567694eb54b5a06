// The lane's SQLite schema as versioned migrations: an append-only list, applied in order by
// LaneStore.migrate(); `meta.schema_version` records how far a lane's storage is.

/**
 * v10's table, named because a deleted session re-creates it alone (subagents/cancel-store.ts):
 * a parent's cancellations of its children still to deliver. Shipped: never edit.
 */
export const SUBAGENT_CANCELS = `CREATE TABLE IF NOT EXISTS subagent_cancels (
	session_key TEXT NOT NULL,
	run_id TEXT NOT NULL,
	tenant_id TEXT NOT NULL,
	agent_id TEXT NOT NULL,
	reason TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at INTEGER NOT NULL,
	deadline_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	done_at INTEGER,
	error TEXT,
	PRIMARY KEY (session_key, run_id)
);
CREATE INDEX IF NOT EXISTS subagent_cancels_by_status ON subagent_cancels (status, next_at);`

/** Migrations by version; append only, never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [
	`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
	CREATE TABLE runs (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		id TEXT NOT NULL UNIQUE,
		queue_pos INTEGER NOT NULL,
		mode TEXT NOT NULL,
		status TEXT NOT NULL,
		attempt INTEGER NOT NULL DEFAULT 0,
		input TEXT NOT NULL,
		steer TEXT NOT NULL DEFAULT '[]',
		agent TEXT NOT NULL,
		idempotency_key TEXT,
		created_at INTEGER NOT NULL,
		started_at INTEGER,
		finished_at INTEGER,
		deadline_at INTEGER,
		waiting_slot INTEGER NOT NULL DEFAULT 0,
		gate_limit INTEGER,
		output TEXT,
		model TEXT,
		input_tokens INTEGER,
		output_tokens INTEGER,
		error_code TEXT,
		error_message TEXT
	);
	CREATE INDEX runs_by_status ON runs (status, queue_pos);
	CREATE INDEX runs_by_pos ON runs (queue_pos);
	CREATE INDEX runs_by_finish ON runs (finished_at);
	CREATE TABLE messages (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		id TEXT NOT NULL UNIQUE,
		run_id TEXT,
		role TEXT NOT NULL,
		kind TEXT NOT NULL DEFAULT 'message',
		content TEXT NOT NULL,
		tokens INTEGER NOT NULL,
		bytes INTEGER NOT NULL,
		compacted INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE INDEX messages_active ON messages (compacted, seq);
	CREATE TABLE message_stats (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		active INTEGER NOT NULL,
		compacted INTEGER NOT NULL,
		bytes INTEGER NOT NULL,
		tokens INTEGER NOT NULL
	);
	INSERT INTO message_stats VALUES (1, 0, 0, 0, 0);
	CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages BEGIN
		UPDATE message_stats SET active = active + (NEW.compacted = 0), compacted = compacted + (NEW.compacted = 1),
			bytes = bytes + NEW.bytes, tokens = tokens + (NEW.compacted = 0) * NEW.tokens;
	END;
	CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages BEGIN
		UPDATE message_stats SET active = active - (OLD.compacted = 0), compacted = compacted - (OLD.compacted = 1),
			bytes = bytes - OLD.bytes, tokens = tokens - (OLD.compacted = 0) * OLD.tokens;
	END;
	CREATE TRIGGER messages_counted_update AFTER UPDATE OF compacted ON messages BEGIN
		UPDATE message_stats SET active = active - (OLD.compacted = 0) + (NEW.compacted = 0),
			compacted = compacted - (OLD.compacted = 1) + (NEW.compacted = 1),
			tokens = tokens - (OLD.compacted = 0) * OLD.tokens + (NEW.compacted = 0) * NEW.tokens;
	END;
	CREATE TABLE events (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		ts INTEGER NOT NULL,
		type TEXT NOT NULL,
		run_id TEXT,
		data TEXT NOT NULL
	);
	CREATE INDEX events_by_ts ON events (ts);
	CREATE TABLE idempotency (key TEXT PRIMARY KEY, run_id TEXT NOT NULL, created_at INTEGER NOT NULL);`,
	// v2: model calls of a run (JSON array of ModelCallRecord).
	'ALTER TABLE runs ADD COLUMN calls TEXT;',
	// v3: tools — who a run acts for, its tool jobs, approvals, and the session's standing grants.
	`ALTER TABLE runs ADD COLUMN subject TEXT;
	CREATE TABLE tool_jobs (
		job_id TEXT PRIMARY KEY,
		run_id TEXT NOT NULL,
		call_id TEXT NOT NULL,
		tool TEXT NOT NULL,
		idempotent INTEGER NOT NULL,
		status TEXT NOT NULL,
		claims INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		deadline_at INTEGER NOT NULL,
		finished_at INTEGER,
		code TEXT
	);
	CREATE INDEX tool_jobs_by_run ON tool_jobs (run_id);
	CREATE INDEX tool_jobs_by_created ON tool_jobs (created_at);
	CREATE TABLE approvals (
		id TEXT PRIMARY KEY,
		run_id TEXT NOT NULL,
		call_id TEXT NOT NULL,
		tool TEXT NOT NULL,
		args TEXT NOT NULL,
		status TEXT NOT NULL,
		decided_by TEXT,
		created_at INTEGER NOT NULL,
		deadline_at INTEGER NOT NULL,
		decided_at INTEGER
	);
	CREATE INDEX approvals_by_status ON approvals (status, created_at);
	CREATE TABLE tool_grants (tool TEXT PRIMARY KEY, granted_by TEXT NOT NULL, created_at INTEGER NOT NULL);`,
	// v4: every principal an approval's call was made for (a run carries each sender it took).
	"ALTER TABLE approvals ADD COLUMN principals TEXT NOT NULL DEFAULT '[]';",
	// v5: channel replies — a run's reply route, and the outbox of messages for channels, sent in
	// seq order (text: the chunk; approval: {id, tool, summary} as JSON).
	`ALTER TABLE runs ADD COLUMN reply TEXT;
	CREATE TABLE deliveries (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		id TEXT NOT NULL UNIQUE,
		run_id TEXT,
		channel_id TEXT NOT NULL,
		kind TEXT NOT NULL,
		route TEXT NOT NULL,
		body TEXT NOT NULL,
		part INTEGER NOT NULL,
		parts INTEGER NOT NULL,
		status TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_at INTEGER NOT NULL,
		deadline_at INTEGER NOT NULL,
		created_at INTEGER NOT NULL,
		sent_at INTEGER,
		error TEXT
	);
	CREATE INDEX deliveries_by_status ON deliveries (status, seq);
	CREATE INDEX deliveries_by_created ON deliveries (created_at);`,
	// v6: a run whose answer a waiting caller returned itself (never through the outbox), and a
	// given-up delivery's dead letter still to be recorded (record_at: its next try; NULL: recorded,
	// abandoned, or never one — rows given up before v6 were tried once and count as recorded).
	`ALTER TABLE runs ADD COLUMN answered_inline INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE deliveries ADD COLUMN record_at INTEGER;
	ALTER TABLE deliveries ADD COLUMN record_tries INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX deliveries_unrecorded ON deliveries (record_at) WHERE record_at IS NOT NULL;`,
	// v7: traces — a run's W3C traceparent (its own span of the request's trace), the trace id on
	// each event of a traced run, and when a tool job was claimed (its queue wait ends there).
	`ALTER TABLE runs ADD COLUMN trace TEXT;
	ALTER TABLE events ADD COLUMN trace_id TEXT;
	ALTER TABLE tool_jobs ADD COLUMN started_at INTEGER;`,
	// v8: client tools — what the request asked of a run (client tools, tool choice, response
	// format; JSON) and the client tool calls it ended with (JSON array of tool-call parts).
	`ALTER TABLE runs ADD COLUMN options TEXT;
	ALTER TABLE runs ADD COLUMN client_calls TEXT;`,
	// v9: subagents (src/automation/subagents/) — a parent's children and the runs it started in
	// them (with the end each announced back), and a child's announces of its runs' ends still to
	// deliver to its parent. A child's link to its parent is `meta.parent`.
	`CREATE TABLE subagents (
		session_key TEXT PRIMARY KEY,
		agent_id TEXT NOT NULL,
		label TEXT,
		depth INTEGER NOT NULL,
		subject TEXT,
		gate_limit INTEGER,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE subagent_runs (
		run_id TEXT PRIMARY KEY,
		session_key TEXT NOT NULL,
		parent_run_id TEXT,
		status TEXT NOT NULL,
		output TEXT,
		error TEXT,
		input_tokens INTEGER,
		output_tokens INTEGER,
		created_at INTEGER NOT NULL,
		announced_at INTEGER
	);
	CREATE INDEX subagent_runs_by_parent ON subagent_runs (parent_run_id);
	CREATE INDEX subagent_runs_by_session ON subagent_runs (session_key, created_at);
	CREATE TABLE announces (
		run_id TEXT PRIMARY KEY,
		body TEXT NOT NULL,
		status TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_at INTEGER NOT NULL,
		deadline_at INTEGER NOT NULL,
		created_at INTEGER NOT NULL,
		sent_at INTEGER,
		error TEXT
	);
	CREATE INDEX announces_by_status ON announces (status, next_at);`,
	// v10: a parent's cancellations of its children still to deliver (a cancelled run's child runs,
	// every run of every child on a reset or delete): `run_id` '*' is every run of the child.
	// Written in the transaction of the cancel or reset, retried on the alarm. IF NOT EXISTS: a
	// deleted session keeps this one table until its children are cancelled (subagents/cascade.ts).
	SUBAGENT_CANCELS,
]

export const SCHEMA_VERSION = MIGRATIONS.length
