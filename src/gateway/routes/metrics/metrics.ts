// GET /v1/metrics/{view}: the caller's tenant's metrics (metrics:read), and GET
// /v1/admin/metrics/{view}: every tenant's, for the platform admin (platform-metrics:read). The
// window is checked first, then the store is chosen (docs/observability.md#metrics-api).
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { MetricsQueryError } from '../../../observability/metric-views/query'
import { parseMetricsWindow } from '../../../observability/metric-views/window'
import type { GatewayEnv } from '../../context'
import { authedErrors, bearerAuth, createRouter, json, problem } from '../../openapi'
import { ProblemError } from '../../problem'
import { MetricsAnswer, MetricsQuery, MetricView } from './schemas'
import { chooseMetricsReader } from './source'
import { metricsView } from './views'

/** Whose points a route reads: the caller's tenant, or every tenant (null). */
type TenantOf = (c: Context<GatewayEnv>) => string | null

function viewRoute(path: string, tenantOf: TenantOf, whose: string) {
	const route = createRoute({
		method: 'get',
		path,
		tags: ['metrics'],
		security: bearerAuth,
		summary: `${whose} metrics: one view's series, totals and breakdown over a window`,
		request: { params: z.object({ view: MetricView }), query: MetricsQuery },
		responses: {
			200: json(MetricsAnswer, 'The view, and which store answered'),
			...authedErrors,
			409: problem(
				'Analytics Engine was asked for but is not configured (metrics_source_unconfigured)',
			),
			502: problem('The Analytics Engine SQL API did not answer (metrics_unavailable)'),
		},
	})
	return createRouter().openapi(route, async (c) => {
		const { view } = c.req.valid('param')
		const query = c.req.valid('query')
		const parsed = parseMetricsWindow(query, Date.now())
		if (!parsed.ok) {
			const { reason, param, message } = parsed.problem
			throw new ProblemError(
				'validation_failed',
				`Invalid request; query field "${param}": ${message}`,
				{
					extensions: { reason, param, errors: [{ path: param, message }] },
				},
			)
		}
		const choice = chooseMetricsReader(c.env, query.source)
		if (!choice.ok) {
			throw new ProblemError(
				'metrics_source_unconfigured',
				'Analytics Engine is not configured on this deployment (EDGECLAW_METRICS_ACCOUNT_ID and EDGECLAW_METRICS_API_TOKEN); ask source=d1 or leave source out.',
				{ extensions: { param: 'source' } },
			)
		}
		const { window } = parsed
		const tenant = tenantOf(c)
		const scope = {
			tenant,
			agent: query.agent ?? null,
			from: window.from,
			to: window.to,
			stepMs: window.stepSeconds * 1_000,
		}
		try {
			return c.json(await metricsView(view, choice.reader, scope, tenant ?? '*'), 200)
		} catch (error) {
			if (!(error instanceof MetricsQueryError)) throw error
			throw new ProblemError(
				'metrics_unavailable',
				'The Analytics Engine SQL API did not answer the metrics query; try again, or ask source=d1.',
				{ extensions: { reason: error.reason }, cause: error },
			)
		}
	})
}

export const metricRoutes = createRouter()
	.route(
		'/',
		viewRoute('/v1/metrics/{view}', (c) => c.get('principal').tenantId, "The tenant's"),
	)
	.route(
		'/',
		viewRoute('/v1/admin/metrics/{view}', () => null, "Every tenant's (platform admin)"),
	)
