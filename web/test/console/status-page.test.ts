import { afterEach, describe, expect, it, vi } from 'vitest'
import { readReadiness } from '../../src/console/status'
import { fakeGateway } from './dom'

afterEach(() => vi.unstubAllGlobals())

describe('readReadiness', () => {
	it('reads a ready answer', async () => {
		fakeGateway({
			'GET /ready': () => ({
				body: {
					status: 'ready',
					checks: { d1: { ok: true, ms: 3 }, lane: { ok: true, ms: 9 } },
					sandbox: { isolate: 'available', container: 'unbound' },
				},
			}),
		})
		const r = await readReadiness(new AbortController().signal)
		expect(r.ready).toBe(true)
		expect(r.checks.lane?.ok).toBe(true)
		expect(r.sandbox).toEqual({ isolate: 'available', container: 'unbound' })
	})

	it('reads the checks out of a 503 problem, naming the failing one', async () => {
		fakeGateway({
			'GET /ready': () => ({
				status: 503,
				body: {
					code: 'not_ready',
					detail: 'Not ready: lane failed.',
					failing: ['lane'],
					checks: { d1: { ok: true, ms: 3 }, lane: { ok: false, ms: 5000, reason: 'timeout' } },
					sandbox: { isolate: 'disabled', container: 'unbound' },
				},
			}),
		})
		const r = await readReadiness(new AbortController().signal)
		expect(r.ready).toBe(false)
		expect(r.detail).toBe('Not ready: lane failed.')
		expect(r.checks.lane).toEqual({ ok: false, ms: 5000, reason: 'timeout' })
		expect(r.sandbox?.isolate).toBe('disabled')
	})

	it('lets any other failure through as an error', async () => {
		fakeGateway({
			'GET /ready': () => ({ status: 500, body: { code: 'internal_error', detail: 'x' } }),
		})
		await expect(readReadiness(new AbortController().signal)).rejects.toMatchObject({
			code: 'internal_error',
		})
	})
})
