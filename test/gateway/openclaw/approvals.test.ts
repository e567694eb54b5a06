// Tool approvals over the OpenClaw gateway: an elevated call shows up as exec.approval.requested
// on the connection following the session, exec.approval.resolve lets it run, and the run ends;
// with separate approvers the principal of the call cannot resolve it, another one can; any
// client of the tenant lists pending approvals (an array, as OpenClaw's clients read it) and
// resolves one by id alone.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { key, tenant } from '../../security/helpers'
import { connected } from './wire'

let operator: string
let member: string

beforeAll(async () => {
	await tenant('appr')
	await env.DB.prepare('INSERT INTO agents (tenant_id, id, name, config) VALUES (?, ?, ?, ?)')
		.bind(
			'appr',
			'guarded',
			'guarded',
			JSON.stringify({
				model: { primary: 'offline:echo' },
				tools: {
					profile: 'minimal',
					allow: ['time_now'],
					elevated: ['time_now'],
					approvalTimeoutMs: 60_000,
				},
			}),
		)
		.run()
	await env.DB.prepare('INSERT INTO agents (tenant_id, id, name, config) VALUES (?, ?, ?, ?)')
		.bind(
			'appr',
			'separate',
			'separate',
			JSON.stringify({
				model: { primary: 'offline:echo' },
				tools: {
					profile: 'minimal',
					allow: ['time_now'],
					elevated: ['time_now'],
					approvalTimeoutMs: 60_000,
					separateApprover: true,
				},
			}),
		)
		.run()
	operator = (await key('appr', 'operator')).secret
	member = (await key('appr', 'member')).secret
})

describe('approvals', () => {
	it('an elevated tool call waits for exec.approval.resolve, then the run finishes', async () => {
		const wire = await connected(operator)
		const ack = await wire.request('chat.send', {
			sessionKey: 'agent:guarded:a-1',
			message: '/tool time_now {}',
			idempotencyKey: 'appr-1',
		})
		expect(ack.ok).toBe(true)
		const requested = await wire.next((f) => f.event === 'exec.approval.requested')
		// OpenClaw's clients show request.command and offer request.allowedDecisions.
		expect(requested.payload).toMatchObject({
			sessionKey: 'agent:guarded:a-1',
			runId: 'appr-1',
			request: {
				tool: 'time_now',
				command: 'time_now {}',
				sessionKey: 'agent:guarded:a-1',
				agentId: 'guarded',
				runId: 'appr-1',
				allowedDecisions: ['allow-once', 'allow-always', 'deny'],
			},
		})
		const id = requested.payload?.id as string
		const pending = await wire.request('exec.approval.list', { sessionKey: 'agent:guarded:a-1' })
		// A list is an array, as OpenClaw's CLI and Control UI read it; the run id is the
		// client's own (its idempotencyKey), as in the event.
		expect(pending.payload).toEqual([
			expect.objectContaining({
				id,
				status: 'pending',
				runId: 'appr-1',
				request: expect.objectContaining({ command: 'time_now {}' }),
			}),
		])
		const resolved = await wire.request('exec.approval.resolve', { id, decision: 'allow-once' })
		expect(resolved.payload).toMatchObject({ ok: true, id, decision: 'allow-once' })
		await wire.next((f) => f.event === 'exec.approval.resolved' && f.payload?.id === id)
		const final = await wire.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		expect(JSON.stringify(final.payload?.message)).toContain('time_now returned')
		const again = await wire.request('approval.resolve', { id, decision: 'deny' })
		expect(again.ok).toBe(false)
		// The transcript keeps the call and its result as OpenClaw's own blocks and messages.
		const history = await wire.request('chat.history', { sessionKey: 'agent:guarded:a-1' })
		const messages = history.payload?.messages as Record<string, unknown>[]
		const call = messages.find((m) =>
			(m.content as { type: string }[]).some((c) => c.type === 'toolCall'),
		)
		expect(call).toMatchObject({
			role: 'assistant',
			content: expect.arrayContaining([
				expect.objectContaining({ type: 'toolCall', name: 'time_now', arguments: {} }),
			]),
		})
		const callId = ((call?.content ?? []) as { type: string; id?: string }[]).find(
			(c) => c.type === 'toolCall',
		)?.id
		expect(messages.find((m) => m.role === 'toolResult')).toMatchObject({
			toolCallId: callId,
			toolName: 'time_now',
			isError: false,
			content: [{ type: 'text', text: expect.stringContaining('iso') }],
		})
		wire.ws.close(1000)
	})

	it('separate approvers: the principal of the call gets FORBIDDEN, another operator resolves it', async () => {
		const wire = await connected(operator)
		await wire.request('chat.send', {
			sessionKey: 'agent:separate:s-1',
			message: '/tool time_now {}',
			idempotencyKey: 'appr-sep-1',
		})
		const requested = await wire.next((f) => f.event === 'exec.approval.requested')
		const id = requested.payload?.id as string
		const own = await wire.request('exec.approval.resolve', { id, decision: 'allow-once' })
		expect(own.error).toMatchObject({
			code: 'FORBIDDEN',
			details: { code: 'APPROVAL_SELF_DENIED' },
		})
		const other = await connected((await key('appr', 'operator')).secret)
		const resolved = await other.request('exec.approval.resolve', {
			id,
			decision: 'allow-once',
			sessionKey: 'agent:separate:s-1',
		})
		expect(resolved.payload).toMatchObject({ ok: true, id, decision: 'allow-once' })
		const final = await wire.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		expect(JSON.stringify(final.payload?.message)).toContain('time_now returned')
		wire.ws.close(1000)
		other.ws.close(1000)
	})

	it('any client lists the tenant’s pending approvals and resolves one by id alone', async () => {
		const asker = await connected(operator)
		await asker.request('chat.send', {
			sessionKey: 'agent:guarded:by-id',
			message: '/tool time_now {}',
			idempotencyKey: 'appr-by-id',
		})
		const requested = await asker.next((f) => f.event === 'exec.approval.requested')
		const id = requested.payload?.id as string
		// A second operator's client, which never followed that session (`openclaw approvals pending`).
		const cli = await connected((await key('appr', 'operator')).secret)
		let listed: Record<string, unknown>[] = []
		await expect
			.poll(async () => {
				const res = await cli.request('exec.approval.list')
				listed = (res.payload ?? []) as unknown as Record<string, unknown>[]
				return listed.map((a) => a.id)
			})
			.toContain(id)
		expect(listed.find((a) => a.id === id)).toMatchObject({
			sessionKey: 'agent:guarded:by-id',
			status: 'pending',
			createdAtMs: expect.any(Number),
			expiresAtMs: expect.any(Number),
			request: { tool: 'time_now', command: 'time_now {}', sessionKey: 'agent:guarded:by-id' },
		})
		// `openclaw approvals pending` reads all three lists: edgeclaw's are all exec approvals,
		// so each shows once.
		expect((await cli.request('openclaw.approval.list')).payload).toEqual([])
		expect((await cli.request('plugin.approval.list')).payload).toEqual([])
		const got = await cli.request('exec.approval.get', { id })
		expect(got.payload).toMatchObject({ id, status: 'pending' })
		const resolved = await cli.request('exec.approval.resolve', { id, decision: 'allow-once' })
		expect(resolved.payload).toMatchObject({ ok: true, id, decision: 'allow-once' })
		const final = await asker.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		expect(JSON.stringify(final.payload?.message)).toContain('time_now returned')
		asker.ws.close(1000)
		cli.ws.close(1000)
	})

	it('a member holds no approvals scope, and unknown approvals are APPROVAL_NOT_FOUND', async () => {
		const m = await connected(member, {
			scopes: ['operator.read', 'operator.write', 'operator.approvals'],
		})
		const refused = await m.request('exec.approval.list')
		expect(refused.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE' } })
		m.ws.close(1000)
		const op = await connected(operator)
		const unknown = await op.request('exec.approval.resolve', { id: 'nope-1', decision: 'deny' })
		expect(unknown.error).toMatchObject({ code: 'APPROVAL_NOT_FOUND' })
		op.ws.close(1000)
	})
})
