// GET /v1/metrics/{view} from the Analytics Engine SQL API, against a fake of it on loopback
// (test/global/metrics-sql-api.ts): the bearer token, the query text (sampling weights,
// quantileWeighted, the tenant on index1), the weighted numbers reaching the answer, and every
// way the API can fail becoming a 502 problem that leaks neither token nor upstream body.
import { createExecutionContext, env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { sqlApiSettings } from '../../src/gateway/routes/metrics/source'
import {
	analyticsEngineReader,
	analyticsEngineSql,
} from '../../src/observability/metric-views/analytics-engine'
import { MetricsQueryError } from '../../src/observability/metric-views/query'
import { captureLogs } from '../fakes/logs'
import { type SqlRule, sqlAnswer, sqlScenario } from '../fakes/metrics-sql'
import { ADMIN_TOKEN, problem } from '../helpers'
import { key, tenant } from '../security/helpers'

const TOKEN = 'cf-analytics-read-token-0123456789'
const T0 = Date.UTC(2026, 0, 5, 10, 0)
const MIN = 60_000
const WINDOW = `from=${T0}&to=${T0 + 10 * MIN}&step=300`
const SCOPE = { tenant: 'mx-sql', agent: null, from: T0, to: T0 + 10 * MIN, stepMs: 300_000 }

/** A row of an aggregation as the API answers it: 64-bit sums as strings, the rest as numbers. */
const aeRow = (fields: Record<string, unknown>): Record<string, unknown> => ({
	points: '0',
	errors: 0,
	failures: 0,
	duration_ms: 0,
	input_tokens: 0,
	output_tokens: 0,
	cost_usd: 0,
	cost_known: 0,
	queue_wait_ms: 0,
	bytes_sum: 0,
	value_sum: 0,
	...fields,
})

let viewer: string

beforeAll(async () => {
	await tenant('mx-sql')
	viewer = (await key('mx-sql', 'viewer')).secret
})

async function get(path: string, url: string, secret = viewer) {
	const logs = captureLogs()
	const res = await createGateway({ sink: logs.sink }).request(
		path,
		{ headers: { authorization: `Bearer ${secret}`, 'x-request-id': 'metrics-sql-test' } },
		{ ...env, EDGECLAW_METRICS_SQL_URL: url, EDGECLAW_METRICS_API_TOKEN: TOKEN },
		createExecutionContext(),
	)
	return { res, logs }
}

/** Overview's four queries, told apart by what only each one selects. */
const OVERVIEW: SqlRule[] = [
	{
		match: "blob1 IN ('request', 'run', 'model_call', 'tool', 'delivery', 'webhook')",
		json: sqlAnswer([
			// Sampled: 3 stored points standing for 20 requests.
			aeRow({ t: T0 / 1_000, kind: 'request', points: '20', errors: 4, failures: 6 }),
			aeRow({
				t: T0 / 1_000,
				kind: 'model_call',
				points: '10',
				input_tokens: 1_000,
				output_tokens: 400,
				cost_usd: 0.25,
				cost_known: 10,
				value_sum: 2,
			}),
			aeRow({ t: (T0 + 5 * MIN) / 1_000, kind: 'run', points: '5', errors: 1 }),
		]),
	},
	{
		match: "blob1 IN ('run')",
		json: sqlAnswer([aeRow({ kind: 'run', points: '5', p50_ms: 812.5, p95_ms: 4_100 })]),
	},
	{ match: "blob1 IN ('lane')", json: sqlAnswer([aeRow({ dim: 'stuck', points: '2' })]) },
	{
		match: 'blob3 AS agent',
		json: sqlAnswer([
			aeRow({ agent: 'main', kind: 'run', points: '5', errors: 1 }),
			aeRow({ agent: 'main', kind: 'model_call', points: '10', cost_usd: 0.25 }),
		]),
	},
]

describe('GET /v1/metrics/{view} from the Analytics Engine SQL API', () => {
	it('sends the token and weighted queries scoped to the tenant, and answers their numbers', async () => {
		const scenario = await sqlScenario(OVERVIEW)
		const { res } = await get(`/v1/metrics/overview?${WINDOW}`, scenario.url)
		expect(res.status, await res.clone().text()).toBe(200)
		const body = (await res.json()) as Record<string, unknown> & {
			series: Record<string, unknown>[]
			totals: Record<string, unknown>
		}
		expect(body).toMatchObject({ view: 'overview', source: 'analytics-engine', tenant: 'mx-sql' })
		expect(body.series[0]).toMatchObject({
			t: T0,
			requests: 20,
			errors: 4,
			modelCalls: 10,
			inputTokens: 1_000,
			costUsd: 0.25,
		})
		expect(body.series[1]).toMatchObject({ t: T0 + 5 * MIN, requests: 0, runs: 5, runsFailed: 1 })
		expect(body.totals).toMatchObject({
			requests: 20,
			errorRate: 0.2,
			failovers: 2,
			stuckRuns: 2,
			turnP50Ms: 812.5,
			turnP95Ms: 4_100,
		})
		expect(body.breakdown).toEqual([{ agent: 'main', runs: 5, runsFailed: 1, costUsd: 0.25 }])

		const requests = await scenario.requests()
		expect(requests).toHaveLength(4)
		for (const sent of requests) {
			expect(sent.method).toBe('POST')
			expect(sent.authorization).toBe(`Bearer ${TOKEN}`)
			expect(sent.body).toContain('FROM edgeclaw_metrics')
			expect(sent.body).toContain("index1 = 'mx-sql'")
			expect(sent.body).toContain(
				`timestamp >= toDateTime(${T0 / 1_000}) AND timestamp < toDateTime(${(T0 + 10 * MIN) / 1_000})`,
			)
			expect(sent.body).toContain('SUM(_sample_interval) AS points')
			expect(sent.body).toContain('SUM(_sample_interval * double3) AS errors')
			expect(sent.body).toContain('SUM(_sample_interval * double4) AS input_tokens')
			expect(sent.body).not.toMatch(/count\(/i)
			expect(sent.body).toMatch(/FORMAT JSON$/)
		}
		const series = requests.find((r) => r.body.includes("'webhook'"))?.body
		expect(series).toContain(
			"toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL '300' SECOND)) AS t",
		)
		expect(series).toContain('GROUP BY t, kind')
		const turns = requests.find((r) => r.body.includes("blob1 IN ('run')"))?.body
		expect(turns).toContain(
			"quantileWeighted(0.5, double2, if(blob1 = 'run' AND blob6 = 'cancelled', 0, _sample_interval)) AS p50_ms",
		)
		expect(turns).toContain(
			"quantileWeighted(0.95, double2, if(blob1 = 'run' AND blob6 = 'cancelled', 0, _sample_interval)) AS p95_ms",
		)
	})

	it('filters by agent on blob3, and reads every tenant (no index1 filter) for the platform admin', async () => {
		const scenario = await sqlScenario([{ json: sqlAnswer([]) }])
		const mine = await get(`/v1/metrics/tools?${WINDOW}&agent=main`, scenario.url)
		expect(mine.res.status).toBe(200)
		const all = await get(`/v1/admin/metrics/tools?${WINDOW}`, scenario.url, ADMIN_TOKEN)
		expect(all.res.status).toBe(200)
		expect(await all.res.json()).toMatchObject({ tenant: '*', source: 'analytics-engine' })
		// Each view's queries go out together; the tenant's view was answered before the admin's.
		const sent = (await scenario.requests()).map((r) => r.body)
		expect(sent).toHaveLength(4)
		for (const query of sent.slice(0, 2)) {
			expect(query).toContain("index1 = 'mx-sql' AND blob3 = 'main'")
		}
		for (const query of sent.slice(2)) expect(query).not.toContain('index1')
		expect(sent.filter((q) => q.includes('ORDER BY points DESC\nLIMIT 50'))).toHaveLength(2)
	})

	it('answers latency percentiles per step from quantileWeighted', async () => {
		const scenario = await sqlScenario([
			{
				match: 'AS t, blob1 AS kind',
				json: sqlAnswer([
					aeRow({ t: T0 / 1_000, kind: 'request', points: '7', p50_ms: 12, p95_ms: 90 }),
					aeRow({ t: T0 / 1_000, kind: 'model_call', points: '2', p50_ms: 'nan', p95_ms: null }),
				]),
			},
			{ match: 'blob5 AS dim', json: sqlAnswer([]) },
			{ json: sqlAnswer([aeRow({ kind: 'request', points: '7', p50_ms: 12, p95_ms: 90 })]) },
		])
		const { res } = await get(`/v1/metrics/latency?${WINDOW}`, scenario.url)
		const body = (await res.json()) as { series: Record<string, unknown>[]; totals: unknown }
		expect(body.series[0]).toEqual({
			t: T0,
			requestP50Ms: 12,
			requestP95Ms: 90,
			turnP50Ms: null,
			turnP95Ms: null,
			modelP50Ms: null,
			modelP95Ms: null,
		})
		expect(body.totals).toMatchObject({ requestP50Ms: 12, requestP95Ms: 90, turnP50Ms: null })
	})

	it('leaves the SQL API alone when asked for D1', async () => {
		const scenario = await sqlScenario([{ json: sqlAnswer([]) }])
		const { res } = await get(`/v1/metrics/overview?${WINDOW}&source=d1`, scenario.url)
		expect(await res.json()).toMatchObject({ source: 'd1' })
		expect(await scenario.requests()).toEqual([])
	})

	const failures: [string, SqlRule, string][] = [
		['a 5xx', { status: 500, text: `upstream exploded; token=${TOKEN}` }, 'status'],
		[
			'a 403',
			{
				status: 403,
				json: { success: false, errors: [{ code: 10000, message: 'Authentication error' }] },
			},
			'api_error',
		],
		[
			'errors in a 200',
			{ json: { errors: [{ message: 'Unknown column blob99' }], data: [] } },
			'api_error',
		],
		['no JSON', { text: '<html>bad gateway</html>' }, 'malformed'],
		['no data rows', { json: { meta: [], rows: 0 } }, 'malformed'],
		[
			'a non-number sum',
			{ json: sqlAnswer([aeRow({ kind: 'tool', points: { n: 1 } })]) },
			'malformed',
		],
	]
	it.each(failures)(
		'502s %s as metrics_unavailable, with the request id and nothing upstream',
		async (_, rule, reason) => {
			const scenario = await sqlScenario([rule])
			const { res, logs } = await get(`/v1/metrics/tools?${WINDOW}`, scenario.url)
			expect(res.status).toBe(502)
			const body = await problem(res)
			expect(body).toMatchObject({
				code: 'metrics_unavailable',
				reason,
				requestId: 'metrics-sql-test',
			})
			const text = JSON.stringify(body)
			expect(text).not.toContain(TOKEN)
			expect(text).not.toContain('exploded')
			expect(text).not.toContain('html')
			expect(logs.lines.join('\n')).not.toContain(TOKEN)
			expect(
				logs.entries().some((l) => l.msg === 'problem' && l.code === 'metrics_unavailable'),
			).toBe(true)
		},
	)
})

describe('the Analytics Engine SQL client', () => {
	it('gives up on an API that never answers, after its timeout', async () => {
		const scenario = await sqlScenario([{ hang: true }])
		const reader = analyticsEngineReader({ url: scenario.url, token: TOKEN, timeoutMs: 200 })
		const failure = await reader.aggregate(SCOPE, { kinds: ['tool'], by: ['t'] }).catch((e) => e)
		expect(failure).toBeInstanceOf(MetricsQueryError)
		expect(failure).toMatchObject({ reason: 'timeout' })
	})

	it('says when the API cannot be reached', async () => {
		// A refused connection, as workerd reports it (a real one also makes workerd log it).
		const refused = async () => {
			throw new Error('Network connection lost.')
		}
		const reader = analyticsEngineReader({
			url: 'http://127.0.0.1:1/sql',
			token: TOKEN,
			fetch: refused,
		})
		const failure = await reader.aggregate(SCOPE, { kinds: ['tool'], by: ['t'] }).catch((e) => e)
		expect(failure).toMatchObject({ name: 'MetricsQueryError', reason: 'unreachable' })
	})

	it('writes one SELECT per aggregation, with only integers and checked ids in it', () => {
		expect(
			analyticsEngineSql(
				{ ...SCOPE, agent: 'main' },
				{ kinds: ['tool'], by: ['dim'], percentiles: true, limit: 5 },
			),
		).toBe(
			[
				'SELECT blob5 AS dim, SUM(_sample_interval) AS points, SUM(_sample_interval * double3) AS errors, ' +
					"SUM(_sample_interval * if(blob1 = 'request' AND blob6 = '4xx', 1, double3)) AS failures, " +
					'SUM(_sample_interval * double2) AS duration_ms, SUM(_sample_interval * double4) AS input_tokens, ' +
					'SUM(_sample_interval * double5) AS output_tokens, SUM(_sample_interval * double6) AS cost_usd, ' +
					'SUM(_sample_interval * double7) AS cost_known, SUM(_sample_interval * double8) AS queue_wait_ms, ' +
					'SUM(_sample_interval * double9) AS bytes_sum, SUM(_sample_interval * double15) AS value_sum, ' +
					"quantileWeighted(0.5, double2, if(blob1 = 'run' AND blob6 = 'cancelled', 0, _sample_interval)) AS p50_ms, " +
					"quantileWeighted(0.95, double2, if(blob1 = 'run' AND blob6 = 'cancelled', 0, _sample_interval)) AS p95_ms",
				'FROM edgeclaw_metrics',
				`WHERE timestamp >= toDateTime(${T0 / 1_000}) AND timestamp < toDateTime(${(T0 + 10 * MIN) / 1_000}) AND blob1 IN ('tool') AND index1 = 'mx-sql' AND blob3 = 'main'`,
				'GROUP BY dim',
				'ORDER BY points DESC',
				'LIMIT 5',
				'FORMAT JSON',
			].join('\n'),
		)
		// An environment's own dataset (EDGECLAW_METRICS_DATASET); never anything but a name.
		expect(
			analyticsEngineSql(SCOPE, { kinds: ['tool'], by: [] }, 'edgeclaw_metrics_staging'),
		).toContain('\nFROM edgeclaw_metrics_staging\n')
		expect(() => analyticsEngineSql(SCOPE, { kinds: ['tool'], by: [] }, 'x; DROP TABLE y')).toThrow(
			/unsafe dataset/,
		)
		for (const tenantId of ["x' OR 1=1 --", 'a\\', 'A', '']) {
			expect(() =>
				analyticsEngineSql({ ...SCOPE, tenant: tenantId }, { kinds: ['tool'], by: [] }),
			).toThrow(/unsafe tenant/)
		}
		expect(() =>
			analyticsEngineSql({ ...SCOPE, agent: "main'" }, { kinds: ['tool'], by: [] }),
		).toThrow(/unsafe agent/)
		expect(() =>
			analyticsEngineSql({ ...SCOPE, stepMs: 1.5 }, { kinds: ['tool'], by: ['t'] }),
		).toThrow(/not an integer/)
	})

	it("takes the account's endpoint, or the one configured, and needs a token", () => {
		expect(
			sqlApiSettings({
				...env,
				EDGECLAW_METRICS_ACCOUNT_ID: 'abc123',
				EDGECLAW_METRICS_API_TOKEN: TOKEN,
			}),
		).toEqual({
			url: 'https://api.cloudflare.com/client/v4/accounts/abc123/analytics_engine/sql',
			token: TOKEN,
		})
		expect(
			sqlApiSettings({
				...env,
				EDGECLAW_METRICS_ACCOUNT_ID: 'abc123',
				EDGECLAW_METRICS_SQL_URL: 'https://sql.example/q',
				EDGECLAW_METRICS_API_TOKEN: TOKEN,
			})?.url,
		).toBe('https://sql.example/q')
		expect(sqlApiSettings({ ...env, EDGECLAW_METRICS_ACCOUNT_ID: 'abc123' })).toBeUndefined()
		expect(sqlApiSettings({ ...env, EDGECLAW_METRICS_API_TOKEN: TOKEN })).toBeUndefined()
	})
})
