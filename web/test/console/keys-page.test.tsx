import { render } from 'preact'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ApiKey } from '../../src/console/key-form'
import { KeysPage } from '../../src/console/keys'
import {
	button,
	buttons,
	type Call,
	choose,
	click,
	fakeGateway,
	labelled,
	renderRoot,
	signInAs,
	type,
} from './dom'

const key = (id: string, name: string, extra: Partial<ApiKey> = {}): ApiKey => ({
	id,
	tenantId: 'acme',
	name,
	role: 'member',
	scopes: [],
	expiresAt: null,
	revokedAt: null,
	lastUsedAt: null,
	createdAt: '2026-03-01T00:00:00.000Z',
	...extra,
})

const root = renderRoot()
let keys: ApiKey[]

beforeEach(() => {
	keys = [
		key('aaaaaaaaaaaaaaaa', 'ci-bot'),
		key('bbbbbbbbbbbbbbbb', 'old', { revokedAt: '2026-03-02T00:00:00.000Z' }),
	]
})

const keysRoute = { 'GET /v1/keys': () => ({ body: { keys } }) }

describe('Keys page', () => {
	it('shows a viewer the keys but none of the actions', async () => {
		signInAs('viewer', ['keys:list'])
		fakeGateway(keysRoute)
		render(<KeysPage />, root())
		await vi.waitFor(() => expect(root().textContent).toContain('ci-bot'))
		expect(root().querySelector('h1')?.textContent).toBe('Keys')
		for (const name of ['Create key', 'Revoke', 'Rotate'])
			expect(buttons(root(), name)).toHaveLength(0)
	})

	it('creates a key and shows its secret once, read-only, with a copy button', async () => {
		signInAs('admin', ['keys:list', 'keys:create', 'keys:revoke', 'keys:rotate'])
		const calls: Call[] = fakeGateway({
			...keysRoute,
			'POST /v1/keys': (call) => {
				const created = key('cccccccccccccccc', (call.body as { name: string }).name, {
					role: 'viewer',
				})
				keys.push(created)
				return { status: 201, body: { key: created, secret: 'ek_cccccccccccccccc_s3cret' } }
			},
		})
		render(<KeysPage />, root())
		await vi.waitFor(() => expect(root().textContent).toContain('ci-bot'))
		// The live key can be rotated and revoked; the revoked one offers nothing.
		expect(buttons(root(), 'Rotate')).toHaveLength(1)
		expect(buttons(root(), 'Revoke')).toHaveLength(1)

		type(labelled(root(), 'Name'), 'dashboard')
		choose(labelled<HTMLSelectElement>(root(), 'Role'), 'viewer')
		type(labelled(root(), 'Scopes'), 'usage:read, sessions:list')
		click(button(root(), 'Create key'))

		await vi.waitFor(() =>
			expect(labelled(root(), 'Secret').value).toBe('ek_cccccccccccccccc_s3cret'),
		)
		const post = calls.find((c) => c.method === 'POST')
		expect(post?.body).toEqual({
			name: 'dashboard',
			role: 'viewer',
			scopes: ['usage:read', 'sessions:list'],
		})
		expect(labelled(root(), 'Secret').readOnly).toBe(true)
		expect(buttons(root(), 'Copy')).toHaveLength(1)
		expect(root().textContent).toContain('It will not be shown again')
		await vi.waitFor(() => expect(root().textContent).toContain('dashboard'))

		click(button(root(), 'Done'))
		await vi.waitFor(() => expect(root().querySelector('#key-secret')).toBeNull())
		expect(root().textContent).not.toContain('s3cret')
	})

	it('revokes only after the second step', async () => {
		signInAs('admin', ['keys:list', 'keys:revoke'])
		const calls = fakeGateway({
			...keysRoute,
			'DELETE /v1/keys/aaaaaaaaaaaaaaaa': () => {
				keys[0] = key('aaaaaaaaaaaaaaaa', 'ci-bot', { revokedAt: '2026-03-03T00:00:00.000Z' })
				return { status: 204 }
			},
		})
		render(<KeysPage />, root())
		await vi.waitFor(() => expect(buttons(root(), 'Revoke')).toHaveLength(1))
		click(button(root(), 'Revoke'))
		await vi.waitFor(() => expect(buttons(root(), 'Confirm revoke')).toHaveLength(1))
		expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
		click(button(root(), 'Confirm revoke'))
		await vi.waitFor(() => expect(buttons(root(), 'Revoke')).toHaveLength(0))
		expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1)
	})

	it('shows a rotated key’s new secret, and the server’s refusal as a notice', async () => {
		signInAs('operator', ['keys:list', 'keys:rotate'])
		let refuse = true
		const calls = fakeGateway({
			...keysRoute,
			'POST /v1/keys/aaaaaaaaaaaaaaaa/rotate': () =>
				refuse
					? {
							status: 403,
							body: {
								code: 'privilege_escalation',
								detail: 'A operator cannot…',
								requestId: 'req-9',
							},
						}
					: {
							status: 201,
							body: { key: key('dddddddddddddddd', 'ci-bot'), secret: 'ek_dddddddddddddddd_new' },
						},
		})
		render(<KeysPage />, root())
		await vi.waitFor(() => expect(buttons(root(), 'Rotate')).toHaveLength(1))
		click(button(root(), 'Rotate'))
		// Two steps: nothing is rotated until "Confirm rotate".
		expect(calls.filter((c) => c.path.endsWith('/rotate'))).toHaveLength(0)
		click(button(root(), 'Confirm rotate'))
		await vi.waitFor(() =>
			expect(root().querySelector('[role="alert"]')?.textContent).toContain('privilege_escalation'),
		)
		expect(root().textContent).toContain('req-9')
		refuse = false
		click(button(root(), 'Rotate'))
		click(button(root(), 'Confirm rotate'))
		await vi.waitFor(() => expect(labelled(root(), 'Secret').value).toBe('ek_dddddddddddddddd_new'))
		expect(root().textContent).toContain('Key ci-bot rotated')
	})
})
