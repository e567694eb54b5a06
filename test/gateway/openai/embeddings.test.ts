// POST /v1/embeddings through the official openai SDK (and raw calls where the SDK would hide the
// wire): the offline embedding model's deterministic vectors, float and base64 encodings,
// dimensions, the agent without an embedding model, auth and policy, the tenant's budget, and the
// usage every call leaves in D1 and in its `model_call` metric point.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { utcDay } from '../../../src/db/usage'
import { BLOB } from '../../../src/observability/metrics'
import { readPoint } from '../../fakes/metrics'
import { call, createAgent, eventually } from '../../helpers'
import { key } from '../../security/helpers'
import { client, openAIError } from './helpers'
import { OpenAI } from './sdk.js'

/** The raw data points the gateway writes, read back by the documented layout. */
const points: AnalyticsEngineDataPoint[] = []
Object.assign(env, {
	METRICS: {
		writeDataPoint(point?: AnalyticsEngineDataPoint) {
			if (point) points.push(point)
		},
	},
})

let member: string
let viewer: string

beforeAll(async () => {
	await createAgent(env.DB, 'embedder', { embedding: { model: 'offline:embed' } })
	await createAgent(env.DB, 'embedder-32', {
		embedding: { model: 'offline:embed', dimensions: 32 },
	})
	member = (await key('default', 'member')).secret
	viewer = (await key('default', 'viewer')).secret
})

/** A raw embeddings request as `secret`. */
function embeddings(secret: string, body: unknown): Promise<Response> {
	return call('/v1/embeddings', {
		method: 'POST',
		headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	})
}

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))

/** Float32s from OpenAI's base64 encoding (little-endian). */
function decode(base64: string): number[] {
	const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0))
	const view = new DataView(bytes.buffer)
	return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true))
}

describe('embeddings', () => {
	it('answers one unit vector per input, in order: equal texts equal, different texts not', async () => {
		const res = await client(member).embeddings.create({
			model: 'edgeclaw/embedder',
			input: ['the quick brown fox', 'the quick brown fox', 'a lazy dog sleeps'],
			encoding_format: 'float',
		})
		expect(res.object).toBe('list')
		expect(res.model).toBe('edgeclaw/embedder')
		expect(res.data.map((d) => [d.object, d.index])).toEqual([
			['embedding', 0],
			['embedding', 1],
			['embedding', 2],
		])
		const [a, b, c] = res.data.map((d) => d.embedding)
		expect(a).toHaveLength(256)
		expect(norm(a ?? [])).toBeCloseTo(1, 5)
		expect(b).toEqual(a)
		expect(c).not.toEqual(a)
		// One token per word: 4 + 4 + 4.
		expect(res.usage).toEqual({ prompt_tokens: 12, total_tokens: 12 })
	})

	it('base64 (the SDK default) carries exactly the float answer', async () => {
		const input = 'edge gateways embed text'
		const floats = await client(member).embeddings.create({
			model: 'embedder',
			input,
			encoding_format: 'float',
		})
		const decoded = await client(member).embeddings.create({ model: 'embedder', input })
		expect(decoded.data[0]?.embedding).toEqual(floats.data[0]?.embedding)
		const raw = await embeddings(member, { model: 'embedder', input, encoding_format: 'base64' })
		expect(raw.status).toBe(200)
		const body = (await raw.json()) as { data: { embedding: string }[] }
		expect(typeof body.data[0]?.embedding).toBe('string')
		expect(decode(body.data[0]?.embedding ?? '')).toEqual(floats.data[0]?.embedding)
	})

	it("takes `dimensions` from the request, else the agent's config", async () => {
		const asked = await client(member).embeddings.create({
			model: 'embedder',
			input: 'short vectors',
			dimensions: 64,
		})
		expect(asked.data[0]?.embedding).toHaveLength(64)
		expect(norm(asked.data[0]?.embedding ?? [])).toBeCloseTo(1, 5)
		const configured = await client(member).embeddings.create({
			model: 'embedder-32',
			input: 'short vectors',
		})
		expect(configured.data[0]?.embedding).toHaveLength(32)
	})

	it('an agent without an embedding model is a 400 naming the model; an unknown one a 404', async () => {
		const res = await embeddings(member, { model: 'edgeclaw/main', input: 'x' })
		expect(res.status).toBe(400)
		const error = await openAIError(res)
		expect(error).toMatchObject({
			type: 'invalid_request_error',
			param: 'model',
			code: 'model_not_supported',
		})
		expect(error.message).toContain('embedding.model')
		const ghost = await embeddings(member, { model: 'edgeclaw/ghost', input: 'x' })
		expect(ghost.status).toBe(404)
		expect(await openAIError(ghost)).toMatchObject({ param: 'model', code: 'model_not_found' })
	})

	it('refuses token arrays, empty and oversized input, unknown fields, with the param at fault', async () => {
		const cases: [unknown, string | null, string][] = [
			[{ model: 'embedder', input: [1, 2, 3] }, 'input', 'unsupported_value'],
			[{ model: 'embedder', input: [[1, 2]] }, 'input', 'unsupported_value'],
			[{ model: 'embedder', input: [] }, 'input', 'empty_input'],
			[{ model: 'embedder', input: ['ok', ''] }, 'input.1', 'empty_input'],
			[{ model: 'embedder', input: 'x'.repeat(32_001) }, 'input', 'input_too_long'],
			[{ model: 'embedder', input: Array(2_049).fill('a') }, 'input', 'too_many_inputs'],
			[{ model: 'embedder', input: 'x', dimensions: 0 }, 'dimensions', 'validation_failed'],
			[
				{ model: 'embedder', input: 'x', encoding_format: 'hex' },
				'encoding_format',
				'validation_failed',
			],
			[{ model: 'embedder', input: 'x', extra: 1 }, null, 'validation_failed'],
		]
		for (const [body, param, code] of cases) {
			const res = await embeddings(member, body)
			expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400)
			const error = await openAIError(res)
			expect(error.type).toBe('invalid_request_error')
			expect(error.code).toBe(code)
			if (param !== null) expect(error.param).toBe(param)
		}
		const tokens = await embeddings(member, { model: 'embedder', input: [1, 2] })
		expect((await openAIError(tokens)).message).toContain('Token arrays are not supported')
	})

	it('a provider failure is a 502 in OpenAI shape, and still accounted; a refusal a 400', async () => {
		const res = await embeddings(member, { model: 'embedder', input: '/fail 500' })
		expect(res.status).toBe(502)
		expect(await openAIError(res)).toMatchObject({ type: 'api_error', code: 'upstream_failed' })
		const failed = points
			.map(readPoint)
			.find((p) => p.kind === 'model_call' && p.agent === 'embedder' && p.outcome !== 'ok')
		expect(failed).toMatchObject({ dim: 'offline:embed', outcome: 'server' })
		// A request the provider refuses as such is the client's to fix: 400.
		const refused = await embeddings(member, { model: 'embedder', input: '/fail 422' })
		expect(refused.status).toBe(400)
		expect(await openAIError(refused)).toMatchObject({
			type: 'invalid_request_error',
			param: null,
			code: 'provider_rejected',
		})
	})
})

describe('embeddings: auth, policy and budget', () => {
	it('needs a credential (401) and the agents:embed action, which a viewer lacks (403)', async () => {
		const anonymous = await call('/v1/embeddings', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'embedder', input: 'x' }),
		})
		expect(anonymous.status).toBe(401)
		expect((await openAIError(anonymous)).type).toBe('authentication_error')
		const denied = await client(viewer)
			.embeddings.create({ model: 'embedder', input: 'x' })
			.then(
				() => undefined,
				(e: unknown) => e as OpenAI.APIError,
			)
		expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError)
		expect(denied?.type).toBe('permission_error')
		expect(denied?.message).toContain('agents:embed')
	})

	it('a used-up daily budget is 429 insufficient_quota before any call', async () => {
		await env.DB.prepare('INSERT INTO tenants (id, name, settings) VALUES (?, ?, ?)')
			.bind('emb-thrifty', 'thrifty', JSON.stringify({ dailyTokenBudget: 100 }))
			.run()
		await createAgent(env.DB, 'embedder', { embedding: { model: 'offline:embed' } }, 'emb-thrifty')
		await env.DB.prepare(
			'INSERT INTO usage_daily (tenant_id, day, agent_id, model, calls, input_tokens, output_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)',
		)
			.bind('emb-thrifty', utcDay(Date.now()), 'embedder', 'offline:embed', 1, 100, 0)
			.run()
		const thrifty = (await key('emb-thrifty', 'member')).secret
		const e = await client(thrifty)
			.embeddings.create({ model: 'embedder', input: 'x' })
			.then(
				() => undefined,
				(error: unknown) => error as OpenAI.APIError,
			)
		expect(e).toBeInstanceOf(OpenAI.RateLimitError)
		expect(e?.code).toBe('insufficient_quota')
		expect(Number(e?.headers?.get('retry-after'))).toBeGreaterThan(0)
		expect(e?.headers?.get('x-should-retry')).toBe('false')
	})

	it("records the tokens in the tenant's usage and a model_call point of purpose embedding", async () => {
		await env.DB.prepare('INSERT INTO tenants (id, name) VALUES (?, ?)')
			.bind('emb-usage', 'u')
			.run()
		await createAgent(env.DB, 'embedder', { embedding: { model: 'offline:embed' } }, 'emb-usage')
		const secret = (await key('emb-usage', 'member')).secret
		const res = await client(secret).embeddings.create({
			model: 'embedder',
			input: ['one two three', 'four five'],
		})
		expect(res.usage.prompt_tokens).toBe(5)
		const row = await eventually(async () => {
			const found = await env.DB.prepare(
				'SELECT calls, errors, input_tokens, output_tokens FROM usage_daily WHERE tenant_id = ? AND agent_id = ? AND model = ?',
			)
				.bind('emb-usage', 'embedder', 'offline:embed')
				.first<{ calls: number; errors: number; input_tokens: number; output_tokens: number }>()
			return found ?? undefined
		})
		expect(row).toEqual({ calls: 1, errors: 0, input_tokens: 5, output_tokens: 0 })
		const point = points.find(
			(p) => readPoint(p).kind === 'model_call' && readPoint(p).tenant === 'emb-usage',
		)
		expect(point).toBeDefined()
		const read = readPoint(point as AnalyticsEngineDataPoint)
		expect(read).toMatchObject({ agent: 'embedder', dim: 'offline:embed', outcome: 'ok' })
		expect(read.doubles.inputTokens).toBe(5)
		expect(point?.blobs?.[BLOB.purpose - 1]).toBe('embedding')
		// The budget counts them: /v1/usage reports today's total.
		const usage = await call('/v1/usage', { headers: { authorization: `Bearer ${secret}` } })
		expect(((await usage.json()) as { usedToday: number }).usedToday).toBe(5)
	})
})
