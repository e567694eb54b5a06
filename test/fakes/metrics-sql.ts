// The workerd side of the fake Analytics Engine SQL API (test/global/metrics-sql-api.ts): register
// how it answers, point EDGECLAW_METRICS_SQL_URL at the scenario, read back what it was sent.
import { inject } from 'vitest'

declare module 'vitest' {
	export interface ProvidedContext {
		/** Origin of the fake SQL API, e.g. `http://127.0.0.1:41234`. */
		metricsSqlApi: string
	}
}

/** How a scenario answers a query: the first rule whose `match` is in the SQL text (or has none). */
export interface SqlRule {
	match?: string
	status?: number
	/** Sent as JSON. */
	json?: unknown
	/** Sent as is (a malformed body, an HTML error page). */
	text?: string
	/** Never answers: the client's timeout must end the request. */
	hang?: boolean
}

/** One request the fake received. */
export interface RecordedSqlRequest {
	method: string
	authorization: string | null
	contentType: string | null
	body: string
}

export interface SqlScenario {
	/** The endpoint to configure as EDGECLAW_METRICS_SQL_URL. */
	url: string
	requests(): Promise<RecordedSqlRequest[]>
}

/** Registers a scenario with the fake; its requests are recorded apart from every other one's. */
export async function sqlScenario(rules: SqlRule[]): Promise<SqlScenario> {
	const base = inject('metricsSqlApi')
	const res = await fetch(`${base}/scenarios`, { method: 'POST', body: JSON.stringify({ rules }) })
	if (res.status !== 201) throw new Error(`scenario not registered: ${res.status}`)
	const { id } = (await res.json()) as { id: string }
	return {
		url: `${base}/sql/${id}`,
		requests: async () =>
			(await (await fetch(`${base}/scenarios/${id}/requests`)).json()) as RecordedSqlRequest[],
	}
}

/** The SQL API's JSON answer (FORMAT JSON) for rows of the given columns. */
export function sqlAnswer(rows: Record<string, unknown>[]): Record<string, unknown> {
	const names = [...new Set(rows.flatMap((r) => Object.keys(r)))]
	return {
		meta: names.map((name) => ({
			name,
			type: typeof rows.find((r) => name in r)?.[name] === 'string' ? 'String' : 'Float64',
		})),
		data: rows,
		rows: rows.length,
		rows_before_limit_at_least: rows.length,
	}
}
