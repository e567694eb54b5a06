// Tools through the whole stack: HTTP → lane → agent loop → policy → (approval) → tool job on the
// real local queue → the Worker's queue() consumer → sandbox → result back in the lane → the
// model's answer; plus the records it leaves (tool_executions, audit) and refusals on the way.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
	admin,
	call,
	createAgent,
	eventually,
	messagesOf,
	postJson,
	send,
	waitForRun,
} from '../helpers'

await createAgent(env.DB, 'coder', { tools: { profile: 'coding' } })
// Approvals the tests decide wait as long as the tests may; the one left unanswered expires soon.
await createAgent(env.DB, 'guarded', {
	tools: { profile: 'coding', elevated: ['run_js'], approvalTimeoutMs: 60_000 },
})
// exec needs approval, and containers are disabled here: it can only fail.
await createAgent(env.DB, 'guarded-exec', {
	tools: { profile: 'coding', elevated: ['exec'], approvalTimeoutMs: 600_000 },
})
await createAgent(env.DB, 'hasty', {
	tools: { profile: 'coding', elevated: ['run_js'], approvalTimeoutMs: 1_000 },
})

const runJs = (code: string) => `/tool run_js ${JSON.stringify({ code })}`

interface Approval {
	id: string
	status: string
	tool: string
	args: unknown
}

async function pendingApproval(session: string): Promise<Approval> {
	return eventually(async () => {
		const res = await admin(`/v1/sessions/${session}/approvals?agent=guarded`)
		if (res.status !== 200) return undefined
		const { approvals } = (await res.json()) as { approvals: Approval[] }
		return approvals.find((a) => a.status === 'pending')
	})
}

describe('tools end to end', () => {
	it('runs run_js as a tool job through the queue and answers with its result', async () => {
		const { res, run } = await send('e2e-js', {
			agent: 'coder',
			content: runJs('console.log("hi"); return 6 * 7'),
			wait: true,
		})
		expect(res.status).toBe(200)
		expect(run.status).toBe('succeeded')
		expect(run.output).toMatch(/^run_js returned \{"ok":true,"result":42/)
		const ms = await messagesOf('e2e-js', 'coder')
		expect(ms.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant'])

		const rows = await eventually(async () => {
			const r = await admin('/v1/tool-executions?agent=coder&session=e2e-js')
			const body = (await r.json()) as { executions: Record<string, unknown>[] }
			return body.executions.length > 0 ? body.executions : undefined
		})
		expect(rows[0]).toMatchObject({
			tool: 'run_js',
			placement: 'job',
			status: 'succeeded',
			decision: 'allow',
			policyId: 'system:platform-admin',
			actor: 'admin-token',
			attempts: 1,
		})
		expect(rows[0]?.argsDigest).toMatch(/^[0-9a-f]{64}$/)
	})

	it('lane tools run in the lane and are recorded too', async () => {
		const { run } = await send('e2e-lane', {
			agent: 'coder',
			content: '/tool time_now {}',
			wait: true,
		})
		expect(run.output).toMatch(/^time_now returned/)
		const rows = await eventually(async () => {
			const r = await admin('/v1/tool-executions?session=e2e-lane')
			const body = (await r.json()) as { executions: Record<string, unknown>[] }
			return body.executions.length > 0 ? body.executions : undefined
		})
		expect(rows[0]).toMatchObject({ tool: 'time_now', placement: 'lane', status: 'succeeded' })
	})

	it('exec without a container runtime fails at once with sandbox_unavailable and the remedy', async () => {
		const started = Date.now()
		const { run } = await send('e2e-exec', {
			agent: 'coder',
			content: '/tool exec {"command":"ls"}',
			wait: true,
		})
		expect(run.status).toBe('succeeded')
		expect(run.output).toMatch(/^exec failed .*(Docker|container)/i)
		expect(Date.now() - started).toBeLessThan(30_000)
	})

	it('an elevated exec where no container can run fails at once: nobody is asked to approve it', async () => {
		const { run } = await send('e2e-exec-elevated', {
			agent: 'guarded-exec',
			content: '/tool exec {"command":"ls"}',
			wait: true,
		})
		expect(run.status).toBe('succeeded')
		expect(run.output).toMatch(/^exec failed .*containers are disabled/i)
		const approvals = await admin('/v1/sessions/e2e-exec-elevated/approvals?agent=guarded-exec')
		expect(((await approvals.json()) as { approvals: unknown[] }).approvals).toEqual([])
		const rows = await eventually(async () => {
			const r = await admin('/v1/tool-executions?agent=guarded-exec&session=e2e-exec-elevated')
			const body = (await r.json()) as { executions: Record<string, unknown>[] }
			return body.executions.length > 0 ? body.executions : undefined
		})
		expect(rows[0]).toMatchObject({ tool: 'exec', status: 'failed', code: 'sandbox_unavailable' })
	})

	it('web_fetch refuses the metadata address before any request', async () => {
		const { run } = await send('e2e-ssrf', {
			agent: 'coder',
			content: '/tool web_fetch {"url":"http://169.254.169.254/latest/meta-data/"}',
			wait: true,
		})
		expect(run.output).toMatch(/^web_fetch failed/)
	})
})

describe('approvals end to end', () => {
	it('an elevated call waits for allow-once, then runs', async () => {
		const { run } = await send('appr-ok', { agent: 'guarded', content: runJs('return "ran"') })
		const approval = await pendingApproval('appr-ok')
		expect(approval).toMatchObject({ tool: 'run_js', args: { code: 'return "ran"' } })
		const decided = await postJson(`/v1/sessions/appr-ok/approvals/${approval.id}?agent=guarded`, {
			decision: 'allow-once',
		})
		expect(decided.status).toBe(200)
		expect(await decided.json()).toMatchObject({ status: 'allowed', decidedBy: 'admin-token' })
		const done = await waitForRun('appr-ok', run.runId, undefined, { agent: 'guarded' })
		expect(done.output).toMatch(/^run_js returned \{"ok":true,"result":"ran"/)
		const again = await postJson(`/v1/sessions/appr-ok/approvals/${approval.id}?agent=guarded`, {
			decision: 'deny',
		})
		expect(again.status).toBe(409)
	})

	it('a denied call reaches the model as a tool error and the run goes on', async () => {
		const { run } = await send('appr-no', { agent: 'guarded', content: runJs('return 1') })
		const approval = await pendingApproval('appr-no')
		await postJson(`/v1/sessions/appr-no/approvals/${approval.id}?agent=guarded`, {
			decision: 'deny',
		})
		const done = await waitForRun('appr-no', run.runId, undefined, { agent: 'guarded' })
		expect(done.status).toBe('succeeded')
		expect(done.output).toBe('run_js failed A human declined this call to "run_js".')
	})

	it('an unanswered call expires at its deadline', async () => {
		const { run } = await send('appr-late', { agent: 'hasty', content: runJs('return 1') })
		const done = await waitForRun('appr-late', run.runId, undefined, { agent: 'hasty' })
		expect(done.output).toBe('run_js failed No one approved this call to "run_js" in time.')
		const res = await admin('/v1/sessions/appr-late/approvals?agent=hasty')
		const { approvals } = (await res.json()) as { approvals: Approval[] }
		expect(approvals[0]?.status).toBe('expired')
	})

	it('bad decisions are 400 problems; unknown approvals 404', async () => {
		await send('appr-bad', { agent: 'guarded', content: 'hello', wait: true })
		const bad = await postJson('/v1/sessions/appr-bad/approvals/abc?agent=guarded', {
			decision: 'maybe',
		})
		expect(bad.status).toBe(400)
		expect(bad.headers.get('content-type')).toBe('application/problem+json')
		const missing = await postJson('/v1/sessions/appr-bad/approvals/abc?agent=guarded', {
			decision: 'deny',
		})
		expect(missing.status).toBe(404)
	})
})

describe('tool policy end to end', () => {
	async function memberKey(scopes?: string[]): Promise<string> {
		const res = await postJson('/v1/keys', {
			name: 'tool tester',
			role: 'member',
			...(scopes && { scopes }),
		})
		expect(res.status).toBe(201)
		return ((await res.json()) as { secret: string }).secret
	}

	const sendAs = (key: string, session: string, content: string) =>
		call(`/v1/sessions/${session}/messages`, {
			method: 'POST',
			headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
			body: JSON.stringify({ agent: 'coder', content, wait: true }),
		}).then(async (r) => (await r.json()) as { output: string })

	it("a member's run may use tools; a tenant policy can deny one, and the denial is audited", async () => {
		const key = await memberKey()
		expect((await sendAs(key, 'pol-1', '/tool time_now {}')).output).toMatch(/^time_now returned/)
		const policy = await postJson('/v1/policies', {
			id: 'no-js',
			effect: 'deny',
			resources: ['tenant:default/agent:*/tool:run_js'],
			actions: ['tools:invoke'],
			conditions: [{ key: 'subject.role', operator: 'equals', value: 'member' }],
		})
		expect(policy.status).toBe(201)
		const denied = await sendAs(key, 'pol-2', runJs('return 1'))
		expect(denied.output).toBe(
			'run_js failed Calling "run_js" is not allowed: denied by policy "tenant:no-js".',
		)
		const audit = await eventually(async () => {
			const res = await admin('/v1/audit?action=tool.denied')
			const { entries } = (await res.json()) as { entries: Record<string, unknown>[] }
			return entries[0]
		})
		expect(audit).toMatchObject({
			outcome: 'deny',
			target: 'tenant:default/agent:coder/tool:run_js',
			data: { policy: 'tenant:no-js' },
		})
		await admin('/v1/policies/no-js', { method: 'DELETE' })
	})

	it('a key whose scopes lack tools:invoke sends messages but its runs call no tool', async () => {
		const key = await memberKey(['sessions:*'])
		const out = await sendAs(key, 'pol-3', '/tool time_now {}')
		expect(out.output).toBe(
			'time_now failed Calling "time_now" is not allowed: the key\'s scopes do not include this action.',
		)
	})
})
