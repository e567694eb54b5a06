import { render } from 'preact'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { type Agent, AgentEditor } from '../../src/console/agent-editor'
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

const agent: Agent = {
	id: 'main',
	tenantId: 'acme',
	name: 'Main',
	version: 3,
	config: { model: { primary: 'offline:echo' } },
	createdAt: '2026-03-01T00:00:00.000Z',
	updatedAt: '2026-03-02T00:00:00.000Z',
}

const root = renderRoot()

beforeEach(() => {
	signInAs('operator', ['agents:list', 'agents:read', 'agents:update', 'agents:create'])
})

const config = () => labelled<HTMLTextAreaElement>(root(), 'Config (JSON)')

describe('AgentEditor', () => {
	it('says at once when the config is not JSON, and will not save it', async () => {
		fakeGateway({})
		render(<AgentEditor agent={agent} onSaved={() => {}} />, root())
		type(config(), '{ "model": ')
		await vi.waitFor(() => expect(root().textContent).toContain('Not valid JSON'))
		expect(config().getAttribute('aria-invalid')).toBe('true')
		expect(button(root(), 'Save').disabled).toBe(true)
		type(config(), '{ "model": {} }')
		await vi.waitFor(() => expect(root().textContent).not.toContain('Not valid JSON'))
		expect(button(root(), 'Save').disabled).toBe(false)
	})

	it('shows each server validation error beside its field, naming its path', async () => {
		const calls: Call[] = fakeGateway({
			'PUT /v1/agents/main': () => ({
				status: 400,
				body: {
					code: 'validation_failed',
					detail:
						'Invalid request; body field "config.model.primary": must look like "provider:model"',
					requestId: 'req-1',
					errors: [
						{ path: 'config.model.primary', message: 'must look like "provider:model"' },
						{ path: 'config.tools.mcp.0.secret', message: 'is not a secret of the tenant' },
						{ path: 'name', message: 'must not be empty' },
					],
				},
			}),
		})
		const saved = vi.fn()
		render(<AgentEditor agent={agent} onSaved={saved} />, root())
		type(config(), '{ "model": { "primary": "nope" } }')
		await vi.waitFor(() => expect(button(root(), 'Save').disabled).toBe(false))
		click(button(root(), 'Save'))

		await vi.waitFor(() => expect(root().querySelector('#agent-config-errors')).not.toBeNull())
		const configErrors = root().querySelector('#agent-config-errors')?.textContent ?? ''
		expect(configErrors).toContain('config.model.primary must look like "provider:model"')
		expect(configErrors).toContain('config.tools.mcp.0.secret is not a secret of the tenant')
		expect(root().querySelector('#agent-name-errors')?.textContent).toContain(
			'name must not be empty',
		)
		expect(config().getAttribute('aria-describedby')).toContain('agent-config-errors')
		expect(labelled(root(), 'Name').getAttribute('aria-describedby')).toBe('agent-name-errors')
		// The summary carries code and request id, without repeating the field list.
		const summary = root().querySelector('[role="alert"]')?.textContent ?? ''
		expect(summary).toContain('validation_failed')
		expect(summary).toContain('req-1')
		expect(summary).not.toContain('is not a secret of the tenant')
		// It sent what was typed, against the version it started from.
		expect(calls[0]?.body).toEqual({
			name: 'Main',
			config: { model: { primary: 'nope' } },
			expectedVersion: 3,
		})
		expect(saved).not.toHaveBeenCalled()
	})

	it('offers the current version after a concurrent change (412)', async () => {
		fakeGateway({
			'PUT /v1/agents/main': () => ({
				status: 412,
				body: {
					code: 'precondition_failed',
					detail: 'Agent "main" is at version 4, not 3.',
					version: 4,
				},
			}),
		})
		const reload = vi.fn()
		render(<AgentEditor agent={agent} onSaved={() => {}} onReload={reload} />, root())
		click(button(root(), 'Save'))
		await vi.waitFor(() => expect(buttons(root(), 'Load the current version')).toHaveLength(1))
		expect(root().textContent).toContain('is at version 4, not 3')
		click(button(root(), 'Load the current version'))
		expect(reload).toHaveBeenCalledOnce()
	})

	it('creates a new agent with its id and hands back what the server saved', async () => {
		fakeGateway({
			'POST /v1/agents': (call) => ({
				status: 201,
				body: { ...agent, ...(call.body as object), version: 1 },
			}),
		})
		const saved = vi.fn()
		render(<AgentEditor onSaved={saved} />, root())
		type(labelled(root(), 'Id'), 'support')
		type(labelled(root(), 'Name'), 'Support')
		click(button(root(), 'Create agent'))
		await vi.waitFor(() => expect(saved).toHaveBeenCalledOnce())
		expect(saved.mock.calls[0]?.[0]).toMatchObject({ id: 'support', name: 'Support', version: 1 })
	})
})
