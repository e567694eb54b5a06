import { describe, expect, it } from 'vitest'
import { call, problem } from '../helpers'

describe('GET /health', () => {
	it('answers without credentials and without I/O', async () => {
		const res = await call('/health')
		expect(res.status).toBe(200)
		const body = (await res.json()) as { status: string; version: string }
		expect(body.status).toBe('ok')
		expect(body.version).toMatch(/^\d+\.\d+\.\d+/)
	})
})

describe('GET /ready', () => {
	it('reports D1 and the lane round trip as ready', async () => {
		const res = await call('/ready')
		expect(res.status).toBe(200)
		const body = (await res.json()) as {
			status: string
			checks: Record<string, { ok: boolean }>
			sandbox: Record<string, string>
		}
		expect(body.status).toBe('ready')
		expect(body.checks.d1?.ok).toBe(true)
		expect(body.checks.lane?.ok).toBe(true)
		expect(body.sandbox).toEqual({ isolate: 'available', container: 'disabled' })
	})

	it('is a problem+json 405 for POST', async () => {
		const res = await call('/ready', { method: 'POST' })
		expect(res.status).toBe(405)
		expect((await problem(res)).code).toBe('method_not_allowed')
	})
})
