// Pairing events: connections holding `operator.pairing` register with their tenant's
// TenantPairing object and get `device.pair.requested` when a device asks to pair and
// `device.pair.resolved` when it is decided; others never register; a closed socket leaves.
import { env, runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../helpers'
import { key, tenant } from '../../security/helpers'
import { deviceConnect, newDevice } from './device-wire'
import { connected, type Wire } from './wire'

let operator: { id: string; secret: string }
let member: { id: string; secret: string }

beforeAll(async () => {
	await tenant('pev')
	operator = await key('pev', 'operator')
	member = await key('pev', 'member')
})

const PAIRING = ['operator.read', 'operator.pairing']

const connIdOf = async (wire: Wire) =>
	String(((await wire.request('status')).payload?.connection as { id?: string } | undefined)?.id)

/** The connection ids registered for the tenant's pairing events. */
const watchers = () =>
	runInDurableObject(env.TENANT_PAIRING.getByName('pev'), (_i, state) =>
		[...state.storage.kv.list({ prefix: 'watch:' })].map(([k]) => k.slice(6)),
	)

describe('device pairing events', () => {
	it('reach the connections holding operator.pairing, and only those', async () => {
		const op = await connected(operator.secret, { scopes: PAIRING })
		const m = await connected(member.secret, { scopes: ['operator.read', 'operator.pairing'] })
		const opId = await connIdOf(op)
		const memberId = await connIdOf(m)
		await eventually(async () => ((await watchers()).includes(opId) ? true : undefined))
		expect(await watchers()).not.toContain(memberId)

		const dev = await newDevice()
		const { res } = await deviceConnect(dev, { token: operator.secret })
		const requestId = String(res.error?.details?.requestId)
		const requested = await op.next((f) => f.event === 'device.pair.requested')
		expect(requested.payload).toMatchObject({
			requestId,
			deviceId: dev.id,
			publicKey: dev.publicKey,
			role: 'operator',
			ts: expect.any(Number),
		})
		expect(typeof requested.seq).toBe('number')

		await op.request('device.pair.approve', { requestId })
		const resolved = await op.next((f) => f.event === 'device.pair.resolved')
		expect(resolved.payload).toMatchObject({ requestId, deviceId: dev.id, decision: 'approved' })
		expect(m.frames.some((f) => f.event?.startsWith('device.pair.'))).toBe(false)

		op.ws.close(1000)
		await eventually(async () => ((await watchers()).includes(opId) ? undefined : true))
		m.ws.close(1000)
	})
})
