// GET /v1/metrics/{view} refuses bad input with a 400 validation_failed problem naming the
// parameter (and, for the window rules, the rule broken in `reason`), and a request for a store
// the deployment has not configured with 409 metrics_source_unconfigured.
import { beforeAll, describe, expect, it } from 'vitest'
import { problem } from '../helpers'
import { as, key, tenant } from '../security/helpers'

const T0 = Date.UTC(2026, 0, 5, 10, 0)
const MIN = 60_000
const WINDOW = `from=${T0}&to=${T0 + 10 * MIN}&step=300`

let viewer: string

beforeAll(async () => {
	await tenant('mx-input')
	viewer = (await key('mx-input', 'viewer')).secret
})

describe('GET /v1/metrics/{view}: bad input', () => {
	const cases: [string, string, string | undefined][] = [
		[`/v1/metrics/overview?from=${T0 + MIN}&to=${T0}`, 'from', 'window_reversed'],
		[
			`/v1/metrics/overview?from=${T0}&to=${T0 + 32 * 86_400_000}&step=86400`,
			'from',
			'window_too_long',
		],
		[`/v1/metrics/overview?${WINDOW.replace('step=300', 'step=90')}`, 'step', 'bad_step'],
		[
			`/v1/metrics/overview?from=${T0}&to=${T0 + 2 * 86_400_000}&step=60`,
			'step',
			'too_many_points',
		],
		['/v1/metrics/overview?from=yesterday', 'from', 'bad_time'],
		['/v1/metrics/overview?to=2026-01-05T10:00:00', 'to', 'bad_time'],
		['/v1/metrics/everything', 'view', undefined],
		['/v1/metrics/overview?agent=Main%27%20OR%201=1', 'agent', undefined],
		['/v1/metrics/overview?step=abc', 'step', undefined],
		['/v1/metrics/overview?source=clickhouse', 'source', undefined],
	]
	it.each(cases)('%s → 400 validation_failed at %s (%s)', async (path, param, reason) => {
		const res = await as(viewer, path)
		expect(res.status).toBe(400)
		const body = await problem(res)
		expect(body.code).toBe('validation_failed')
		expect(body.requestId).toEqual(expect.any(String))
		expect((body.errors as { path: string }[])[0]?.path).toBe(param)
		expect(body.reason).toBe(reason)
	})

	it('409s a request for Analytics Engine when the deployment has not configured it', async () => {
		const res = await as(viewer, `/v1/metrics/overview?${WINDOW}&source=analytics-engine`)
		expect(res.status).toBe(409)
		expect((await problem(res)).code).toBe('metrics_source_unconfigured')
		const d1 = await as(viewer, `/v1/metrics/overview?${WINDOW}&source=d1`)
		expect(await d1.json()).toMatchObject({ source: 'd1', tenant: 'mx-input' })
	})
})
