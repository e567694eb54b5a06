// OpenClaw device pairing with OpenClaw's own client (`@openclaw/gateway-client`, given an Ed25519
// identity and a token store as the OpenClaw apps give it) against `wrangler dev` (setup.ts): the
// key's first connect asks to pair, an operator approves, the client stores the device token it
// is issued and then connects with that token alone.
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto'
import { GatewayClient } from '@openclaw/gateway-client'
import { describe, expect, inject, it } from 'vitest'

const baseUrl = inject('baseUrl')
const operatorKey = inject('operatorKey')
const url = `${baseUrl.replace(/^http/, 'ws')}/v1/gateway`

/** An Ed25519 identity as OpenClaw stores one: PEM keys and the hex SHA-256 of the raw key. */
function identity() {
	const { publicKey, privateKey } = generateKeyPairSync('ed25519')
	const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
	return {
		deviceId: createHash('sha256').update(raw).digest('hex'),
		publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
		privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
	}
}

type Identity = ReturnType<typeof identity>
interface Stored {
	deviceId: string
	role: string
	token: string
	scopes: string[]
}

/** The host dependencies an OpenClaw app gives its client: signing and a device token store. */
function hostDeps(store: Map<string, Stored>) {
	return {
		signDevicePayload: (pem: string, payload: string) =>
			sign(null, Buffer.from(payload, 'utf8'), pem).toString('base64url'),
		publicKeyRawBase64UrlFromPem: (pem: string) =>
			createPublicKey(pem)
				.export({ format: 'der', type: 'spki' })
				.subarray(-32)
				.toString('base64url'),
		loadDeviceAuthToken: ({ deviceId, role }: { deviceId: string; role: string }) => {
			const s = store.get(`${deviceId}:${role}`)
			return s ? { token: s.token, scopes: s.scopes } : null
		},
		storeDeviceAuthToken: (s: Stored) => {
			store.set(`${s.deviceId}:${s.role}`, s)
		},
		clearDeviceAuthToken: ({ deviceId, role }: { deviceId: string; role: string }) => {
			store.delete(`${deviceId}:${role}`)
		},
	}
}

function start(opts: { token?: string; device?: Identity | null; store?: Map<string, Stored> }) {
	const hello = Promise.withResolvers<Record<string, unknown>>()
	const client = new GatewayClient({
		url,
		...(opts.token && { token: opts.token }),
		deviceIdentity: opts.device ?? null,
		clientName: 'openclaw-linux',
		mode: 'ui',
		scopes: ['operator.read', 'operator.write', 'operator.pairing'],
		minProtocol: 4,
		maxProtocol: 4,
		hostDeps: hostDeps(opts.store ?? new Map()),
		onHelloOk: (h) => hello.resolve(h as unknown as Record<string, unknown>),
		onConnectError: (error) => hello.reject(error),
	})
	client.start()
	return { client, hello: hello.promise }
}

describe('@openclaw/gateway-client with a device identity', () => {
	it('pairs, stores its device token and connects with it alone', async () => {
		const device = identity()
		const store = new Map<string, Stored>()

		const first = start({ token: operatorKey, device, store })
		const refused = (await first.hello.catch((e: unknown) => e)) as {
			details?: { code?: string; requestId?: string }
		}
		first.client.stop()
		expect(refused.details?.code).toBe('PAIRING_REQUIRED')

		const admin = start({ token: operatorKey })
		await admin.hello
		const list = (await admin.client.request('device.pair.list', {})) as {
			pending: { requestId: string; deviceId: string }[]
		}
		const request = list.pending.find((p) => p.deviceId === device.deviceId)
		expect(request?.requestId).toBe(refused.details?.requestId)
		await admin.client.request('device.pair.approve', { requestId: request?.requestId })

		const paired = start({ token: operatorKey, device, store })
		const hello = (await paired.hello) as { auth: { deviceToken?: string } }
		paired.client.stop()
		expect(hello.auth.deviceToken).toMatch(/^ecd_/)
		expect(store.get(`${device.deviceId}:operator`)?.token).toBe(hello.auth.deviceToken)

		const alone = start({ device, store })
		const again = (await alone.hello) as { auth: { scopes: string[] } }
		expect(again.auth.scopes).toEqual(
			expect.arrayContaining(['operator.read', 'operator.write', 'operator.pairing']),
		)
		expect(((await alone.client.request('status', {})) as { ok: boolean }).ok).toBe(true)
		alone.client.stop()

		await admin.client.request('device.pair.remove', { deviceId: device.deviceId })
		admin.client.stop()
	})
})
