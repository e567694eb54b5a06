// The official `openai` SDK's embeddings against `wrangler dev` (setup.ts), unchanged: its default
// base64 encoding decoded by the SDK, explicit floats, `dimensions`, the agent without an
// embedding model, and the tokens landing in the tenant's usage.
import OpenAI from 'openai'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { ADMIN_TOKEN } from '../admin-token.js'

const baseUrl = inject('baseUrl')
const apiKey = inject('apiKey')
const AGENT = 'contract-embedder'

beforeAll(async () => {
	const res = await fetch(`${baseUrl}/v1/agents`, {
		method: 'POST',
		headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
		body: JSON.stringify({
			id: AGENT,
			name: AGENT,
			config: {
				model: { primary: 'offline:echo' },
				embedding: { model: 'offline:embed', dimensions: 128 },
			},
		}),
	})
	if (!res.ok && res.status !== 409) throw new Error(`agent: ${res.status} ${await res.text()}`)
})

/** The tenant's tokens used today, as the member sees them. */
async function usedToday(): Promise<number> {
	const res = await fetch(`${baseUrl}/v1/usage`, { headers: { authorization: `Bearer ${apiKey}` } })
	return ((await res.json()) as { usedToday: number }).usedToday
}

describe('openai SDK: embeddings', () => {
	const client = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 })

	it('embeddings.create with the SDK default (base64, decoded) equals the float answer', async () => {
		const input = ['a gateway at the edge', 'a gateway at the edge', 'something else']
		const decoded = await client.embeddings.create({ model: `edgeclaw/${AGENT}`, input })
		const floats = await client.embeddings.create({
			model: `edgeclaw/${AGENT}`,
			input,
			encoding_format: 'float',
		})
		expect(decoded.object).toBe('list')
		expect(decoded.model).toBe(`edgeclaw/${AGENT}`)
		expect(decoded.data.map((d) => d.index)).toEqual([0, 1, 2])
		const vectors = decoded.data.map((d) => Array.from(d.embedding))
		expect(vectors[0]).toHaveLength(128)
		expect(vectors[1]).toEqual(vectors[0])
		expect(vectors[2]).not.toEqual(vectors[0])
		expect(floats.data.map((d) => d.embedding)).toEqual(vectors)
		// One token per word: 5 + 5 + 2.
		expect(decoded.usage).toEqual({ prompt_tokens: 12, total_tokens: 12 })
	})

	it('dimensions: the length asked for, unit length', async () => {
		const res = await client.embeddings.create({ model: AGENT, input: 'short', dimensions: 8 })
		const vector = Array.from(res.data[0]?.embedding ?? [])
		expect(vector).toHaveLength(8)
		expect(Math.hypot(...vector)).toBeCloseTo(1, 5)
	})

	it('an agent without an embedding model → BadRequestError naming the model', async () => {
		const error = await client.embeddings.create({ model: 'edgeclaw/main', input: 'x' }).then(
			() => undefined,
			(e: unknown) => e,
		)
		expect(error).toBeInstanceOf(OpenAI.BadRequestError)
		const e = error as InstanceType<typeof OpenAI.BadRequestError>
		expect(e.param).toBe('model')
		expect(e.code).toBe('model_not_supported')
	})

	it("the tokens count in the tenant's usage of the day", async () => {
		const before = await usedToday()
		const res = await client.embeddings.create({ model: AGENT, input: 'one two three four' })
		expect(res.usage.prompt_tokens).toBe(4)
		await expect.poll(usedToday).toBeGreaterThanOrEqual(before + 4)
	})
})
