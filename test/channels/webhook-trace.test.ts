// A channel webhook continues its caller's trace: the signed request's `traceparent` comes back
// with the same trace id, and the run the message starts carries it.
import { beforeAll, describe, expect, it } from 'vitest'
import { signStandardWebhook } from '../../src/channels/webhook/standard-webhooks'
import { parseTraceparent } from '../../src/observability/trace'
import { encodeBase64 } from '../../src/security/bytes'
import { FakePlatforms } from '../fakes/platforms'
import { call } from '../helpers'
import * as flow from './flow-setup'

const TENANT = 'webhook-trace'
const SIGNING = `whsec_${encodeBase64(new TextEncoder().encode('trace-signing-key'.padEnd(32, '.')))}`
const TRACE = '0af7651916cd43dd8448eb211c80319c'
FakePlatforms.install()

beforeAll(async () => {
	await flow.prepareTenant(TENANT, { WH_SIGNING: SIGNING })
	await flow.createChannel(TENANT, {
		id: 'traced-hook',
		kind: 'webhook',
		config: {
			secrets: { signingSecret: 'WH_SIGNING' },
			dmPolicy: 'open',
			callbackUrl: 'https://traced-hook.platform.test/callback',
		},
	})
})

describe('a traced channel webhook', () => {
	it('answers with the caller’s trace id and starts a run that carries it', async () => {
		const body = JSON.stringify({ text: 'hello', sender: { id: 'u1' } })
		const timestamp = Math.floor(Date.now() / 1000)
		const res = await call(`/hooks/${TENANT}/traced-hook`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'webhook-id': 'msg_trace_1',
				'webhook-timestamp': String(timestamp),
				'webhook-signature': await signStandardWebhook(SIGNING, 'msg_trace_1', timestamp, body),
				traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
			},
			body,
		})
		expect(res.status).toBe(202)
		expect(parseTraceparent(res.headers.get('traceparent'))?.traceId).toBe(TRACE)
		const { runId } = (await res.json()) as { runId: string }
		const runs = await flow.finishedRuns(flow.laneOf(TENANT, 'main', 'traced-hook:dm:u1'))
		expect(runs.map((r) => [r.runId, r.traceId])).toEqual([[runId, TRACE]])
	})
})
