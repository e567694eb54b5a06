// Which store answers a metrics query: the one asked for by name, else the Analytics Engine SQL
// API when the deployment configured it (an account id or an endpoint, and a read-only token),
// else the D1 rollups — the only store local development can read.
import { database } from '../../../db/client'
import { rollupMetricsReader } from '../../../db/metric-aggregates'
import { analyticsEngineReader } from '../../../observability/metric-views/analytics-engine'
import type { MetricsReader, MetricsSourceName } from '../../../observability/metric-views/query'

type MetricsEnv = Pick<
	Env,
	| 'DB'
	| 'EDGECLAW_METRICS_ACCOUNT_ID'
	| 'EDGECLAW_METRICS_API_TOKEN'
	| 'EDGECLAW_METRICS_SQL_URL'
	| 'EDGECLAW_METRICS_DATASET'
>

/** The SQL API endpoint and token, or undefined when the deployment has not configured them. */
export function sqlApiSettings(env: MetricsEnv): { url: string; token: string } | undefined {
	const token = env.EDGECLAW_METRICS_API_TOKEN?.trim()
	if (!token) return undefined
	const endpoint = env.EDGECLAW_METRICS_SQL_URL?.trim()
	if (endpoint) return { url: endpoint, token }
	const account = env.EDGECLAW_METRICS_ACCOUNT_ID?.trim()
	if (!account) return undefined
	return {
		url: `https://api.cloudflare.com/client/v4/accounts/${encodeURIComponent(account)}/analytics_engine/sql`,
		token,
	}
}

export type ReaderChoice =
	| { ok: true; reader: MetricsReader }
	| { ok: false; reason: 'not_configured'; source: MetricsSourceName }

export function chooseMetricsReader(
	env: MetricsEnv,
	asked: MetricsSourceName | undefined,
	options: { timeoutMs?: number } = {},
): ReaderChoice {
	const settings = sqlApiSettings(env)
	if (asked === 'd1' || (asked === undefined && !settings)) {
		return { ok: true, reader: rollupMetricsReader(database(env.DB)) }
	}
	if (!settings) return { ok: false, reason: 'not_configured', source: 'analytics-engine' }
	// Each environment writes a dataset of its own (wrangler.toml).
	const dataset = env.EDGECLAW_METRICS_DATASET?.trim() || undefined
	return { ok: true, reader: analyticsEngineReader({ ...settings, ...options, dataset }) }
}
