// OpenClaw device pairing over the socket, with real Ed25519 keys: an unknown device with a valid
// key is refused with PAIRING_REQUIRED and becomes a pending request, an operator approves it, the
// device gets its token and reconnects with that token alone; revocation, removal and rotation cut
// it off; a device never holds more than its approver; and another tenant sees none of it.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { call, eventually } from '../../helpers'
import { key, tenant } from '../../security/helpers'
import { deviceConnect, newDevice, type TestDevice } from './device-wire'
import { connected, type Frame } from './wire'

let operator: { id: string; secret: string }
let admin: { id: string; secret: string }
let member: { id: string; secret: string }
let other: { id: string; secret: string }

beforeAll(async () => {
	await tenant('pair')
	await tenant('pair-other')
	operator = await key('pair', 'operator')
	admin = await key('pair', 'admin')
	member = await key('pair', 'member')
	other = await key('pair-other', 'operator')
})

/** `hello-ok.auth` of a connect answer. */
const authOf = (res: Frame) => (res.payload?.auth ?? {}) as Record<string, unknown>

const PAIRING = ['operator.read', 'operator.write', 'operator.approvals', 'operator.pairing']

/** Connects the device with a key (refused: pairing required) and approves it as `approver`. */
async function pair(dev: TestDevice, presenter: string, approver: string, scopes?: string[]) {
	const { res } = await deviceConnect(dev, { token: presenter }, { scopes })
	expect(res.error).toMatchObject({ code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED' } })
	const requestId = String(res.error?.details?.requestId)
	const op = await connected(approver, { scopes: PAIRING })
	const approved = await op.request('device.pair.approve', { requestId })
	expect(approved.ok).toBe(true)
	op.ws.close(1000)
	const again = await deviceConnect(dev, { token: presenter }, { scopes })
	expect(again.res.ok).toBe(true)
	const auth = again.res.payload?.auth as { deviceToken: string; scopes: string[] }
	expect(auth.deviceToken).toMatch(/^ecd_/)
	again.wire.ws.close(1000)
	return { requestId, token: auth.deviceToken, approved: approved.payload }
}

describe('pairing a device', () => {
	it('pending → approved → token issued → the token alone reconnects', async () => {
		const dev = await newDevice()
		const first = await deviceConnect(dev, { token: operator.secret }, { scopes: PAIRING })
		expect(first.res.error).toMatchObject({
			code: 'NOT_PAIRED',
			details: { code: 'PAIRING_REQUIRED', reason: 'not-paired', deviceId: dev.id },
		})
		expect((await first.wire.closed).code).toBe(1008)
		const requestId = String(first.res.error?.details?.requestId)

		const op = await connected(operator.secret, { scopes: PAIRING })
		const listed = await op.request('device.pair.list')
		expect(listed.payload?.pending).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ requestId, deviceId: dev.id, publicKey: dev.publicKey }),
			]),
		)
		const approved = await op.request('device.pair.approve', { requestId })
		expect(approved.payload).toMatchObject({ requestId, device: { deviceId: dev.id } })

		const withKey = await deviceConnect(dev, { token: operator.secret }, { scopes: PAIRING })
		const auth = withKey.res.payload?.auth as Record<string, unknown>
		expect(auth).toMatchObject({ role: 'operator', deviceToken: expect.stringMatching(/^ecd_/) })
		expect(auth.deviceTokens).toHaveLength(1)
		const token = String(auth.deviceToken)
		// A second connect with the key issues nothing new: the device keeps its token.
		const withKeyAgain = await deviceConnect(dev, { token: operator.secret })
		expect((authOf(withKeyAgain.res) as Record<string, unknown>).deviceToken).toBeUndefined()

		// OpenClaw's client reconnects with the stored token as auth.token and auth.deviceToken.
		const alone = await deviceConnect(dev, { token, deviceToken: token }, { scopes: PAIRING })
		expect(alone.res.ok).toBe(true)
		expect((authOf(alone.res) as { scopes: string[] }).scopes).toEqual(PAIRING)
		expect((authOf(alone.res) as Record<string, unknown>).deviceToken).toBeUndefined()
		const status = await alone.wire.request('status')
		expect(status.ok).toBe(true)
		const onlyDeviceToken = await deviceConnect(dev, { deviceToken: token })
		expect(onlyDeviceToken.res.ok).toBe(true)

		const audit = await eventually(async () => {
			const rows = await env.DB.prepare(
				"SELECT action FROM audit_log WHERE tenant_id = 'pair' AND target = ?",
			)
				.bind(`device:${dev.id}`)
				.all<{ action: string }>()
			return rows.results.length >= 1 ? rows.results.map((r) => r.action) : undefined
		})
		expect(audit).toContain('device.pair.approved')
		for (const w of [op, withKey.wire, withKeyAgain.wire, alone.wire, onlyDeviceToken.wire]) {
			w.ws.close(1000)
		}
	})

	it('a device token is not an HTTP bearer token', async () => {
		const dev = await newDevice()
		const { token } = await pair(dev, operator.secret, operator.secret)
		const res = await call('/v1/me', {
			headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': '198.51.100.90' },
		})
		expect(res.status).toBe(401)
	})

	it('a device token needs its own signed device block', async () => {
		const dev = await newDevice()
		const { token } = await pair(dev, operator.secret, operator.secret)
		const stranger = await newDevice()
		const res = (await deviceConnect(stranger, { deviceToken: token }, { ip: '198.51.100.91' })).res
		expect(res.error?.details?.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH')
	})

	it('rejected requests stay refused; the approver decides', async () => {
		const dev = await newDevice()
		const { res } = await deviceConnect(dev, { token: operator.secret })
		const requestId = String(res.error?.details?.requestId)
		const op = await connected(operator.secret, { scopes: PAIRING })
		expect((await op.request('device.pair.reject', { requestId })).payload).toEqual({
			requestId,
			deviceId: dev.id,
		})
		const unknown = await op.request('device.pair.approve', { requestId })
		expect(unknown.error?.code).toBe('INVALID_REQUEST')
		op.ws.close(1000)
		// Trying again opens a new request.
		const again = await deviceConnect(dev, { token: operator.secret })
		expect(again.res.error?.details?.code).toBe('PAIRING_REQUIRED')
		expect(again.res.error?.details?.requestId).not.toBe(requestId)
	})
})

describe('revocation and rotation', () => {
	it('a revoked token is refused, and a live device connection is cut off', async () => {
		const dev = await newDevice()
		const { token } = await pair(dev, operator.secret, operator.secret)
		const live = await deviceConnect(dev, { deviceToken: token })
		expect(live.res.ok).toBe(true)
		const op = await connected(operator.secret, { scopes: PAIRING })
		const revoked = await op.request('device.token.revoke', { deviceId: dev.id, role: 'operator' })
		expect(revoked.payload).toMatchObject({ deviceId: dev.id, role: 'operator' })
		const next = await live.wire.request('status')
		expect(next.error?.details?.code).toBe('AUTH_UNAUTHORIZED')
		expect((await live.wire.closed).code).toBe(4001)
		const refused = await deviceConnect(dev, { deviceToken: token }, { ip: '198.51.100.92' })
		expect(refused.res.error?.details?.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH')
		// With the key again, the still-paired device gets a new token.
		const reissued = await deviceConnect(dev, { token: operator.secret })
		const fresh = (authOf(reissued.res) as { deviceToken: string }).deviceToken
		expect(fresh).toMatch(/^ecd_/)
		expect(fresh).not.toBe(token)
		op.ws.close(1000)
	})

	it('a lesser key presenting a paired device gets it no token', async () => {
		const dev = await newDevice()
		await pair(dev, operator.secret, operator.secret, PAIRING)
		const op = await connected(operator.secret, { scopes: PAIRING })
		await op.request('device.token.revoke', { deviceId: dev.id, role: 'operator' })
		op.ws.close(1000)
		const asMember = await deviceConnect(dev, { token: member.secret })
		expect(asMember.res.ok).toBe(true)
		expect(authOf(asMember.res).deviceToken).toBeUndefined()
		const asOperator = await deviceConnect(dev, { token: operator.secret })
		expect(authOf(asOperator.res).deviceToken).toMatch(/^ecd_/)
	})

	it('rotation hands the token to the device itself only; remove unpairs', async () => {
		const dev = await newDevice()
		const { token } = await pair(dev, operator.secret, operator.secret, PAIRING)
		const op = await connected(operator.secret, { scopes: PAIRING })
		const cross = await op.request('device.token.rotate', { deviceId: dev.id, role: 'operator' })
		expect(cross.payload).toMatchObject({ tokenDelivery: 'withheld-cross-device' })
		expect(cross.payload?.token).toBeUndefined()
		// The old token died with the rotation; the key gets the device a fresh one.
		const stale = await deviceConnect(dev, { deviceToken: token }, { ip: '198.51.100.93' })
		expect(stale.res.ok).toBe(false)
		const withKey = await deviceConnect(dev, { token: operator.secret }, { scopes: PAIRING })
		const t2 = (authOf(withKey.res) as { deviceToken: string }).deviceToken
		const self = await deviceConnect(dev, { deviceToken: t2 }, { scopes: PAIRING })
		const own = await self.wire.request('device.token.rotate', {
			deviceId: dev.id,
			role: 'operator',
			scopes: ['operator.read'],
		})
		expect(own.payload).toMatchObject({ tokenDelivery: 'in-band', scopes: ['operator.read'] })
		const t3 = String(own.payload?.token)
		const narrowed = await deviceConnect(dev, { deviceToken: t3 }, { scopes: PAIRING })
		expect((authOf(narrowed.res) as { scopes: string[] }).scopes).toEqual(['operator.read'])

		const removed = await op.request('device.pair.remove', { deviceId: dev.id })
		expect(removed.payload).toMatchObject({ deviceId: dev.id })
		const gone = await deviceConnect(dev, { deviceToken: t3 }, { ip: '198.51.100.94' })
		expect(gone.res.error?.details?.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH')
		op.ws.close(1000)
	})
})

describe('who may pair, and how much', () => {
	it('a member is not granted operator.pairing, so cannot approve', async () => {
		const m = await connected(member.secret, { scopes: [...PAIRING, 'operator.admin'] })
		const res = await m.request('device.pair.approve', { requestId: 'x' })
		expect(res.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE' } })
		expect((await m.request('device.pair.list')).error?.details?.code).toBe('MISSING_SCOPE')
		m.ws.close(1000)
	})

	it("a device asking an admin's scopes gets no more than its operator approver", async () => {
		const dev = await newDevice()
		const { approved } = await pair(dev, admin.secret, operator.secret, ['operator.admin'])
		const scopes = ((approved?.device ?? {}) as { scopes: string[] }).scopes
		expect(scopes).not.toContain('operator.admin')
		expect(scopes).toContain('operator.pairing')
		const row = await env.DB.prepare('SELECT role FROM devices WHERE device_id = ?')
			.bind(dev.id)
			.first<{ role: string }>()
		expect(row?.role).toBe('operator')
	})

	it('a device manages only itself, and never widens its own scopes', async () => {
		const dev = await newDevice()
		const { token } = await pair(dev, operator.secret, operator.secret, PAIRING)
		const otherDev = await newDevice()
		await pair(otherDev, operator.secret, operator.secret)
		const pending = await newDevice()
		const { res } = await deviceConnect(pending, { token: operator.secret })
		const requestId = String(res.error?.details?.requestId)

		const self = await deviceConnect(dev, { deviceToken: token }, { scopes: PAIRING })
		const list = await self.wire.request('device.pair.list')
		expect(JSON.stringify(list.payload)).not.toContain(otherDev.id)
		const approve = await self.wire.request('device.pair.approve', { requestId })
		expect(approve.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'DEVICE_CALLER' } })
		const remove = await self.wire.request('device.pair.remove', { deviceId: otherDev.id })
		expect(remove.error?.details?.code).toBe('DEVICE_OWNERSHIP_MISMATCH')
		const widen = await self.wire.request('device.token.rotate', {
			deviceId: dev.id,
			role: 'operator',
			scopes: ['operator.admin'],
		})
		expect(widen.error?.details?.code).toBe('SCOPE_OUTSIDE_APPROVAL')
		self.wire.ws.close(1000)
	})

	it('another tenant can neither see, approve nor remove the device', async () => {
		const dev = await newDevice()
		const { res } = await deviceConnect(dev, { token: operator.secret })
		const requestId = String(res.error?.details?.requestId)
		const foreign = await connected(other.secret, { scopes: PAIRING })
		const list = await foreign.request('device.pair.list')
		expect(JSON.stringify(list.payload)).not.toContain(dev.id)
		expect((await foreign.request('device.pair.approve', { requestId })).ok).toBe(false)
		expect((await foreign.request('device.pair.remove', { deviceId: dev.id })).ok).toBe(false)
		foreign.ws.close(1000)
		// Its own key presenting the device opens a request in its own tenant, not a token.
		const there = await deviceConnect(dev, { token: other.secret })
		expect(there.res.error?.details?.code).toBe('PAIRING_REQUIRED')
	})
})
