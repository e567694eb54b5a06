import { render } from 'preact'
import { LocationProvider } from 'preact-iso'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Channel } from '../../src/console/channel-editor'
import { ChannelsPage } from '../../src/console/channels'
import {
	button,
	buttons,
	type Call,
	click,
	fakeGateway,
	labelled,
	renderRoot,
	signInAs,
	type,
} from './dom'

const channel = (id: string, extra: Partial<Channel> = {}): Channel => ({
	id,
	kind: 'telegram',
	agent: 'main',
	config: { secrets: { botToken: 'TG_BOT_TOKEN', webhookSecret: 'TG_WEBHOOK_SECRET' } },
	enabled: true,
	webhookUrl: `https://gw.test/hooks/acme/${id}`,
	createdAt: '2026-03-01T00:00:00.000Z',
	updatedAt: '2026-03-02T00:00:00.000Z',
	...extra,
})

const ALL = [
	'channels:list',
	'channels:read',
	'channels:create',
	'channels:update',
	'channels:delete',
	'channels:register',
	'channels:pair',
]

const root = renderRoot()
let channels: Channel[]
let pending: { code: string; senderId: string; senderName: string | null }[]
let admitted: { senderId: string; name: string | null }[]

beforeEach(() => {
	channels = [channel('tg'), channel('hook', { kind: 'webhook', enabled: false })]
	pending = [{ code: 'ABCD2345', senderId: '4711', senderName: 'Ada' }]
	admitted = []
})

const at = (path: string) => {
	history.replaceState(null, '', path)
	render(
		<LocationProvider>
			<ChannelsPage />
		</LocationProvider>,
		root(),
	)
}

const gateway = {
	'GET /v1/channels': () => ({ body: { channels } }),
	'GET /v1/channels/tg/pairing': () => ({
		body: {
			pending: pending.map((p) => ({
				...p,
				createdAt: '2026-03-03T00:00:00.000Z',
				expiresAt: '2026-03-03T01:00:00.000Z',
			})),
			admitted: admitted.map((a) => ({
				...a,
				addedBy: 'key:k1',
				createdAt: '2026-03-03T00:00:00.000Z',
			})),
		},
	}),
	'GET /v1/channels/tg/deliveries': () => ({
		body: {
			deliveries: ['2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z'].map((failedAt, i) => ({
				deliveryId: `d${i}`,
				agent: 'main',
				sessionKey: `tg:dm:${i}`,
				runId: null,
				kind: 'text',
				part: 1,
				parts: 1,
				attempts: 5,
				error: `HTTP 403 number ${i}`,
				failedAt,
				status: 'failed',
			})),
		},
	}),
}

describe('Channels page', () => {
	it('shows an operator the channels and pairing, but no create, register, delete or edit', async () => {
		signInAs('operator', ['channels:list', 'channels:read', 'channels:pair'])
		fakeGateway(gateway)
		at('/channels?channel=tg')
		await vi.waitFor(() => expect(root().textContent).toContain('ABCD2345'))
		expect(root().querySelector('h1')?.textContent).toBe('Channels')
		expect(root().textContent).toContain('disabled')
		for (const name of ['New channel', 'Register', 'Delete', 'Save'])
			expect(buttons(root(), name)).toHaveLength(0)
		expect(labelled<HTMLTextAreaElement>(root(), 'Config (JSON)').readOnly).toBe(true)
		expect(buttons(root(), 'Approve')).toHaveLength(1)
		// Dead letters newest first, whatever order they came in.
		await vi.waitFor(() => expect(root().textContent).toContain('HTTP 403 number 1'))
		const errors = [...root().querySelectorAll('td.wrap')].map((td) => td.textContent)
		expect(errors).toEqual(['HTTP 403 number 1', 'HTTP 403 number 0'])
	})

	it('approves a pairing code at its path, then shows the sender admitted and removable', async () => {
		signInAs('operator', ['channels:list', 'channels:read', 'channels:pair'])
		const calls: Call[] = fakeGateway({
			...gateway,
			'POST /v1/channels/tg/pairing/ABCD2345/approve': () => {
				pending = []
				admitted = [{ senderId: '4711', name: 'Ada' }]
				return { body: { senderId: '4711', name: 'Ada', addedBy: 'key:k1', createdAt: '' } }
			},
			'DELETE /v1/channels/tg/allowlist/4711': () => {
				admitted = []
				return { status: 204 }
			},
		})
		at('/channels?channel=tg')
		await vi.waitFor(() => expect(buttons(root(), 'Approve')).toHaveLength(1))
		click(button(root(), 'Approve'))
		await vi.waitFor(() => expect(buttons(root(), 'Remove')).toHaveLength(1))
		expect(root().textContent).toContain('No pairing codes waiting')
		expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([
			'/v1/channels/tg/pairing/ABCD2345/approve',
		])
		expect(calls.filter((c) => c.path === '/v1/channels/tg/pairing')).toHaveLength(2)

		click(button(root(), 'Remove'))
		expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
		click(button(root(), 'Confirm remove'))
		await vi.waitFor(() => expect(buttons(root(), 'Remove')).toHaveLength(0))
		expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([
			'/v1/channels/tg/allowlist/4711',
		])
	})

	it('creates a channel and shows the server’s validation errors at their path', async () => {
		signInAs('admin', ALL)
		const calls = fakeGateway({
			...gateway,
			'POST /v1/channels': () => ({
				status: 400,
				body: {
					code: 'validation_failed',
					detail: 'Invalid request',
					requestId: 'req-7',
					errors: [
						{ path: 'config.secrets.botToken', message: 'no tenant secret TG_BOT_TOKEN' },
						{ path: 'agent', message: 'no agent "nobody"' },
					],
				},
			}),
		})
		at('/channels')
		await vi.waitFor(() => expect(buttons(root(), 'New channel')).toHaveLength(1))
		click(button(root(), 'New channel'))
		await vi.waitFor(() => expect(buttons(root(), 'Create channel')).toHaveLength(1))
		const config = labelled<HTMLTextAreaElement>(root(), 'Config (JSON)')
		// The form never asks for a secret's value: the config names one.
		expect(config.value).toContain('"botToken": "TG_BOT_TOKEN"')
		expect(root().querySelector('input[type="password"]')).toBeNull()
		type(config, '{ "secrets": ')
		await vi.waitFor(() => expect(root().textContent).toContain('Not valid JSON'))
		expect(button(root(), 'Create channel').disabled).toBe(true)
		type(config, '{ "secrets": { "botToken": "TG_BOT_TOKEN" } }')
		type(labelled(root(), 'Id'), 'tg2')
		type(labelled(root(), 'Agent'), 'nobody')
		click(button(root(), 'Create channel'))

		await vi.waitFor(() => expect(root().querySelector('#channel-config-errors')).not.toBeNull())
		expect(root().querySelector('#channel-config-errors')?.textContent).toContain(
			'config.secrets.botToken no tenant secret TG_BOT_TOKEN',
		)
		expect(root().querySelector('#channel-agent-errors')?.textContent).toContain(
			'agent no agent "nobody"',
		)
		expect(labelled(root(), 'Agent').getAttribute('aria-describedby')).toBe('channel-agent-errors')
		expect(root().querySelector('[role="alert"]')?.textContent).toContain('req-7')
		expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
			id: 'tg2',
			kind: 'telegram',
			agent: 'nobody',
			config: { secrets: { botToken: 'TG_BOT_TOKEN' } },
			enabled: true,
		})
	})

	it('registers a channel and shows the webhook URL and the steps it returns', async () => {
		signInAs('admin', ALL)
		let refuse = true
		fakeGateway({
			...gateway,
			'POST /v1/channels/hook/register': () =>
				refuse
					? {
							status: 502,
							body: { code: 'channel_platform_failed', detail: 'Bad Request: bad webhook' },
						}
					: {
							body: {
								webhookUrl: 'https://gw.test/hooks/acme/hook',
								registered: false,
								instructions: 'POST JSON to the URL\nSign it per Standard Webhooks',
							},
						},
		})
		at('/channels')
		await vi.waitFor(() => expect(buttons(root(), 'Register')).toHaveLength(2))
		click(buttons(root(), 'Register')[1] as HTMLButtonElement)
		await vi.waitFor(() =>
			expect(root().querySelector('[role="alert"]')?.textContent).toContain(
				'channel_platform_failed',
			),
		)
		refuse = false
		click(buttons(root(), 'Register')[1] as HTMLButtonElement)
		await vi.waitFor(() =>
			expect(labelled(root(), 'Webhook URL').value).toBe('https://gw.test/hooks/acme/hook'),
		)
		const steps = [...root().querySelectorAll('.registration-steps li')].map((li) => li.textContent)
		expect(steps).toEqual(['POST JSON to the URL', 'Sign it per Standard Webhooks'])
		expect(root().querySelector('[role="alert"]')).toBeNull()
	})
})
