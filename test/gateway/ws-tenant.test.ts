// Browsers cannot set headers on a WebSocket: on an upgrade the platform admin names its tenant in
// the `Sec-WebSocket-Protocol` entry `tenant.<id>` (beside `bearer.<token>`). Validated like the
// x-edgeclaw-tenant header, which wins when both are sent; ignored on anything but an upgrade.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, call, createAgent, problem } from '../helpers'
import { as, key, tenant } from '../security/helpers'

// `ws-agent` exists in tenant ws-t only: acting in another tenant, the socket is a 404.
const socket = (protocols: string, headers: Record<string, string> = {}) =>
	call('/v1/sessions/ws-room/ws?agent=ws-agent', {
		headers: { upgrade: 'websocket', 'sec-websocket-protocol': protocols, ...headers },
	})

/** Who the middleware decided the caller is (an upgrade header on a plain route changes nothing else). */
async function tenantOf(headers: Record<string, string>): Promise<string> {
	const res = await call('/v1/me', { headers })
	expect(res.status, await res.clone().text()).toBe(200)
	return ((await res.json()) as { principal: { tenantId: string } }).principal.tenantId
}

beforeAll(async () => {
	await tenant('ws-t')
	await createAgent(env.DB, 'ws-agent', {}, 'ws-t')
	const res = await as(ADMIN_TOKEN, '/v1/sessions/ws-room/messages', {
		method: 'POST',
		headers: { 'x-edgeclaw-tenant': 'ws-t' },
		json: { content: 'hello', agent: 'ws-agent', wait: true },
	})
	expect(res.status).toBe(200)
})

describe('the tenant subprotocol entry', () => {
	it("opens the platform admin's socket in the tenant it names; the token and tenant are never echoed", async () => {
		const res = await socket(`edgeclaw, bearer.${ADMIN_TOKEN}, tenant.ws-t`)
		expect(res.status).toBe(101)
		expect(res.headers.get('sec-websocket-protocol')).toBe('edgeclaw')
		res.webSocket?.accept()
		res.webSocket?.close()
		// Without it the admin acts in the default tenant, which has no agent ws-agent.
		expect((await socket(`edgeclaw, bearer.${ADMIN_TOKEN}`)).status).toBe(404)
	})

	it('is taken only on upgrades, and the header wins over it', async () => {
		const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` }
		const upgrade = { upgrade: 'websocket', 'sec-websocket-protocol': 'tenant.ws-t' }
		expect(await tenantOf({ ...bearer, ...upgrade })).toBe('ws-t')
		expect(await tenantOf({ ...bearer, 'sec-websocket-protocol': 'tenant.ws-t' })).toBe('default')
		expect(await tenantOf({ ...bearer, ...upgrade, 'x-edgeclaw-tenant': 'default' })).toBe(
			'default',
		)
	})

	it('is validated like the header: a bad id is a 400 naming the entry', async () => {
		for (const bad of ['tenant.', 'tenant.Not_A_Tenant', 'tenant._x']) {
			const res = await socket(`edgeclaw, bearer.${ADMIN_TOKEN}, ${bad}`)
			expect(res.status, bad).toBe(400)
			const body = await problem(res)
			expect(body.code).toBe('bad_request')
			expect(body.detail).toContain('"tenant.<id>" WebSocket subprotocol entry')
		}
	})

	it("cannot take a key into another tenant's sessions", async () => {
		await tenant('ws-u')
		const member = await key('ws-u', 'member')
		const res = await socket(`edgeclaw, bearer.${member.secret}, tenant.ws-t`)
		expect(res.status).toBe(403)
		expect((await problem(res)).code).toBe('forbidden')
	})
})
