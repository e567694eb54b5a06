// Traces over the OpenClaw socket: the upgrade's trace covers the handshake (its audit row), and
// each request frame starts a trace of its own, which the run it starts carries.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneName } from '../../../src/lanes/name'
import { ADMIN_TOKEN, admin, eventually } from '../../helpers'
import { connectParams, openWire } from './wire'

const TRACE = '0af7651916cd43dd8448eb211c80319c'

describe('traces over the OpenClaw socket', () => {
	it('the handshake carries the upgrade’s trace; each request starts its own', async () => {
		const wire = await openWire('/v1/gateway', {
			traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
		})
		await wire.next((f) => f.event === 'connect.challenge')
		expect((await wire.request('connect', connectParams(ADMIN_TOKEN))).ok).toBe(true)
		const connectedRows = await eventually(async () => {
			const res = await admin(`/v1/audit?trace=${TRACE}&action=gateway.connected`)
			const { entries } = (await res.json()) as { entries: unknown[] }
			return entries.length > 0 ? entries : undefined
		})
		expect(connectedRows).toEqual([expect.objectContaining({ traceId: TRACE })])

		for (const n of [1, 2]) {
			const ack = await wire.request('chat.send', {
				sessionKey: 'trace-oc',
				message: `hello ${n}`,
				idempotencyKey: `trace-oc-${n}`,
			})
			expect(ack.ok).toBe(true)
		}
		const lane = env.SESSION_LANE.getByName(
			laneName({ tenantId: 'default', agentId: 'main', sessionKey: 'trace-oc' }),
		)
		const page = await lane.listRuns(0, 10)
		const traces = page.ok ? page.value.runs.map((r) => r.traceId) : []
		expect(traces).toHaveLength(2)
		for (const t of traces) expect(t).toMatch(/^[0-9a-f]{32}$/)
		expect(new Set([...traces, TRACE]).size).toBe(3)
		wire.ws.close(1000, 'done')
	})
})
