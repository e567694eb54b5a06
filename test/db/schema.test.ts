// The migrations build the schema the API needs: tables, indexes, foreign keys with cascade.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

async function names(type: 'table' | 'index'): Promise<string[]> {
	const { results } = await env.DB.prepare(
		"SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
	)
		.bind(type)
		.all<{ name: string }>()
	return results.map((r) => r.name)
}

describe('D1 schema', () => {
	it('has every table', async () => {
		expect(await names('table')).toEqual([
			'agent_versions',
			'agents',
			'alert_episodes',
			'api_keys',
			'audit_log',
			'channel_allow',
			'channel_dead_letters',
			'channel_pairings',
			'channels',
			'devices',
			'memories',
			// The FTS5 index of memories (hand-written in 0009_memory.sql) and its shadow tables.
			'memories_fts',
			'memories_fts_config',
			'memories_fts_data',
			'memories_fts_docsize',
			'memories_fts_idx',
			'metrics_minute',
			'policies',
			'schedules',
			'sessions',
			'tenant_secrets',
			'tenants',
			'tool_executions',
			'usage_daily',
		])
	})

	it('has the indexes the API queries by', async () => {
		expect(await names('index')).toEqual([
			'alert_episodes_open_idx',
			'alert_episodes_opened_idx',
			'api_keys_tenant_idx',
			'audit_log_tenant_action_idx',
			'audit_log_tenant_ts_idx',
			'channel_dead_letters_failed_idx',
			'channel_pairings_sender_idx',
			'channels_tenant_agent_idx',
			'devices_tenant_device_idx',
			'memories_id_idx',
			'memories_owner_idx',
			'memories_pinned_idx',
			'metrics_minute_age_idx',
			'metrics_minute_kind_idx',
			'policies_tenant_priority_idx',
			'schedules_failing_idx',
			'schedules_tenant_agent_idx',
			'sessions_queued_idx',
			'sessions_stuck_idx',
			'sessions_tenant_agent_updated_idx',
			'sessions_tenant_pending_idx',
			'sessions_tenant_updated_idx',
			'tool_executions_tenant_session_idx',
			'tool_executions_tenant_started_idx',
		])
	})

	it('refuses rows for a tenant that does not exist', async () => {
		await expect(
			env.DB.prepare(
				"INSERT INTO agents (tenant_id, id, name, config) VALUES ('nobody', 'a', 'A', '{}')",
			).run(),
		).rejects.toThrow(/FOREIGN KEY/)
	})

	it('cascades a tenant delete to its agents and sessions', async () => {
		await env.DB.batch([
			env.DB.prepare("INSERT INTO tenants (id, name) VALUES ('gone', 'Gone')"),
			env.DB.prepare(
				"INSERT INTO agents (tenant_id, id, name, config) VALUES ('gone', 'a', 'A', '{}')",
			),
			env.DB.prepare(
				"INSERT INTO sessions (tenant_id, agent_id, session_key) VALUES ('gone', 'a', 'k')",
			),
		])
		await env.DB.prepare("DELETE FROM tenants WHERE id = 'gone'").run()
		const left = await env.DB.prepare(
			"SELECT (SELECT count(*) FROM agents WHERE tenant_id = 'gone') + (SELECT count(*) FROM sessions WHERE tenant_id = 'gone') AS n",
		).first<{ n: number }>()
		expect(left?.n).toBe(0)
	})

	it('keeps one audit chain position per tenant and sequence number', async () => {
		const insert = (hash: string) =>
			env.DB.prepare(
				"INSERT INTO audit_log (tenant_id, seq, ts, actor, action, outcome, prev_hash, hash) VALUES ('default', 1, 0, 'admin', 'x', 'success', '', ?)",
			)
				.bind(hash)
				.run()
		await insert('h1')
		await expect(insert('h2')).rejects.toThrow(/UNIQUE|PRIMARY/)
	})

	it('fills created_at with the current time in milliseconds', async () => {
		await env.DB.prepare("INSERT INTO tenants (id, name) VALUES ('clock', 'Clock')").run()
		const row = await env.DB.prepare("SELECT created_at FROM tenants WHERE id = 'clock'").first<{
			created_at: number
		}>()
		expect(Math.abs((row?.created_at ?? 0) - Date.now())).toBeLessThan(60_000)
	})

	it('keeps the memories FTS index in step through insert, update and delete triggers', async () => {
		await env.DB.batch([
			env.DB.prepare("INSERT INTO tenants (id, name) VALUES ('fts', 'Fts')"),
			env.DB.prepare(
				"INSERT INTO agents (tenant_id, id, name, config) VALUES ('fts', 'a', 'A', '{}')",
			),
			env.DB.prepare(
				"INSERT INTO memories (id, tenant_id, agent_id, text, created_by) VALUES ('m1', 'fts', 'a', 'the heron nests by the river', 'test')",
			),
		])
		const hits = async (word: string) => {
			const { results } = await env.DB.prepare(
				'SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid WHERE memories_fts MATCH ? ORDER BY rank',
			)
				.bind(`"${word}"`)
				.all<{ id: string }>()
			return results.map((r) => r.id)
		}
		expect(await hits('heron')).toEqual(['m1'])
		await env.DB.prepare("UPDATE memories SET text = 'a kingfisher now' WHERE id = 'm1'").run()
		expect(await hits('heron')).toEqual([])
		expect(await hits('kingfisher')).toEqual(['m1'])
		// Deleting the tenant cascades to the agent and its memories, and the index follows.
		await env.DB.prepare("DELETE FROM tenants WHERE id = 'fts'").run()
		expect(await hits('kingfisher')).toEqual([])
		const left = await env.DB.prepare(
			"SELECT count(*) AS n FROM memories WHERE tenant_id = 'fts'",
		).first<{ n: number }>()
		expect(left?.n).toBe(0)
	})
})
