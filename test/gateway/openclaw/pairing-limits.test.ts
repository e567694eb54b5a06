// Pairing requests are bounded: one not decided within 5 minutes is gone (it can no longer be
// approved, and the device asking again opens a new one), and a tenant with 100 open requests gets
// no new one until some are decided or expire.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_PENDING, PENDING_TTL_MS } from '../../../src/db/devices'
import { key, tenant } from '../../security/helpers'
import { deviceConnect, newDevice } from './device-wire'
import { connected } from './wire'

let operator: { id: string; secret: string }
let crowded: { id: string; secret: string }

beforeAll(async () => {
	await tenant('plim')
	await tenant('plim-crowded')
	operator = await key('plim', 'operator')
	crowded = await key('plim-crowded', 'operator')
})

const PAIRING = ['operator.read', 'operator.pairing']

describe('pairing request limits', () => {
	it('an expired request cannot be approved; asking again opens a new one', async () => {
		const dev = await newDevice()
		const { res } = await deviceConnect(dev, { token: operator.secret })
		const requestId = String(res.error?.details?.requestId)
		await env.DB.prepare('UPDATE devices SET requested_at = ? WHERE id = ?')
			.bind(Date.now() - PENDING_TTL_MS - 1_000, requestId)
			.run()
		const op = await connected(operator.secret, { scopes: PAIRING })
		const list = await op.request('device.pair.list')
		expect(JSON.stringify(list.payload)).not.toContain(requestId)
		expect((await op.request('device.pair.approve', { requestId })).error?.code).toBe(
			'INVALID_REQUEST',
		)
		const again = await deviceConnect(dev, { token: operator.secret })
		const fresh = String(again.res.error?.details?.requestId)
		expect(fresh).not.toBe(requestId)
		expect((await op.request('device.pair.approve', { requestId: fresh })).ok).toBe(true)
		op.ws.close(1000)
	})

	it('a tenant with too many open requests gets no new one', async () => {
		const now = Date.now()
		const insert = env.DB.prepare(
			`INSERT INTO devices (id, tenant_id, device_id, public_key, status, requested_by, requested_at)
			 VALUES (?, 'plim-crowded', ?, 'k', 'pending', 'key:x', ?)`,
		)
		await env.DB.batch(
			Array.from({ length: MAX_PENDING }, (_, i) =>
				insert.bind(`crowd${String(i).padStart(11, '0')}`, `d${i}`, now),
			),
		)
		const dev = await newDevice()
		const { res } = await deviceConnect(dev, { token: crowded.secret })
		expect(res.error).toMatchObject({
			code: 'UNAVAILABLE',
			retryable: true,
			details: { code: 'PAIRING_REQUESTS_LIMITED' },
		})
	})
})
