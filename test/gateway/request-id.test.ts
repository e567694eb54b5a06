import { describe, expect, it } from 'vitest'
import { acceptRequestId } from '../../src/gateway/middleware/request-context'
import { call, problem } from '../helpers'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('request id', () => {
	it('honours a well-formed incoming x-request-id and echoes it', async () => {
		const res = await call('/health', { headers: { 'x-request-id': 'client-abc.123:x_y' } })
		expect(res.headers.get('x-request-id')).toBe('client-abc.123:x_y')
	})

	it('generates a UUID when none is sent', async () => {
		const res = await call('/health')
		expect(res.headers.get('x-request-id')).toMatch(UUID)
	})

	it('replaces ids that are too long or carry unsafe characters', async () => {
		for (const bad of ['x'.repeat(129), 'a b', 'a"b', '<script>', '%0d%0aSet-Cookie:x']) {
			const res = await call('/health', { headers: { 'x-request-id': bad } })
			expect(res.headers.get('x-request-id')).toMatch(UUID)
		}
	})

	it('puts the same id in the header and in error bodies', async () => {
		const res = await call('/missing', { headers: { 'x-request-id': 'trace-42' } })
		expect(res.headers.get('x-request-id')).toBe('trace-42')
		expect((await problem(res)).requestId).toBe('trace-42')
	})

	it('acceptRequestId accepts only the safe charset', () => {
		expect(acceptRequestId('abc-DEF_1.2:3')).toBe('abc-DEF_1.2:3')
		expect(acceptRequestId('')).toBeUndefined()
		expect(acceptRequestId(undefined)).toBeUndefined()
		expect(acceptRequestId('a/b')).toBeUndefined()
		expect(acceptRequestId('x'.repeat(128))).toHaveLength(128)
		expect(acceptRequestId('x'.repeat(129))).toBeUndefined()
	})
})
