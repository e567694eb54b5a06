// A sample of `npm run fuzz` inside workerd: requests drawn from the gateway's own OpenAPI document
// (fuzz/requests.mjs) for every operation, as every principal of a two-tenant world and anonymous,
// with malformed bodies, headers and ids, judged by the same oracles (fuzz/oracles.mjs): no 5xx,
// every error problem+json with its request id (OpenAI's shape on the OpenAI routes), no secret in
// any answer, no 2xx for another tenant's resources. Seeded: a failure reproduces.
import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { curl, exchange, judge } from '../../fuzz/oracles.mjs'
import { type OpenAPIDocument, sampleRequests } from '../../fuzz/requests.mjs'
import { createWorld } from '../../fuzz/world.mjs'
import { ADMIN_TOKEN, admin, BASE, call, problem } from '../helpers'

const SEED = 17
const COUNT = 300

it(`answers ${COUNT} requests generated from the OpenAPI document (seed ${SEED}) by the fuzz oracles`, {
	timeout: 120_000,
}, async () => {
	const doc = (await (await call('/openapi.json')).json()) as OpenAPIDocument
	const world = await createWorld(call, {
		adminToken: ADMIN_TOKEN,
		nonce: 'sample',
		secrets: [
			{ name: 'EDGECLAW_SECRETS_KEY', value: env.EDGECLAW_SECRETS_KEY },
			{ name: 'EDGECLAW_AUDIT_KEY', value: env.EDGECLAW_AUDIT_KEY },
		],
	})
	const requests = sampleRequests(doc, world, { count: COUNT, seed: SEED })
	const failures: string[] = []
	const classes = new Map<string, number>()
	// One at a time: the same seed then meets the same state, request by request.
	for (const [i, req] of requests.entries()) {
		const outcome = await exchange((r) => exports.default.fetch(r), BASE, req)
		const c = 'error' in outcome ? 'none' : `${Math.floor(outcome.status / 100)}xx`
		classes.set(c, (classes.get(c) ?? 0) + 1)
		const broken = judge(req, outcome, world)
		if (broken.length > 0)
			failures.push(
				`#${i} ${req.route} as ${req.principal}: ${broken.join('; ')}\n  ${curl(req, BASE, world)}`,
			)
	}
	expect(failures, `seed ${SEED}`).toEqual([])
	expect(requests.length).toBe(COUNT)
	// The sample got past authentication and validation, not only the front door.
	expect(classes.get('2xx') ?? 0).toBeGreaterThan(COUNT / 10)
	// Every operation of the document was tried.
	const routes = new Set(requests.map((r) => r.route.split(' ').slice(1).join(' ')))
	for (const path of Object.keys(doc.paths)) expect(routes, path).toContain(path)
	expect(Object.keys(doc.paths).length).toBeGreaterThan(20)
})

// Each request the fuzzer found a fault with, pinned as it was found.
describe('requests the fuzzer broke the gateway with', () => {
	it('refuses a usage range ending on a day the calendar does not have (was 500)', async () => {
		for (const q of ['to=6768-80-33', 'to=2026-02-30', 'from=2026-02-31&to=2026-03-01']) {
			const res = await admin(`/v1/usage?${q}`)
			expect(res.status, q).toBe(400)
			expect((await problem(res)).code).toBe('validation_failed')
		}
		expect((await admin('/v1/usage?from=2024-02-29&to=2024-03-01')).status).toBe(200)
	})
})
