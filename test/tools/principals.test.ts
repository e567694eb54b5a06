// A run acts with the least privileges of every principal whose message it carries: the attack
// where a member steers an operator's run into a tool a policy denies to members, for a lane tool
// and a queued job; the records that name every principal; steered messages a run never took,
// which run as their own sender; and separate approvers over HTTP.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import {
	admin,
	call,
	createAgent,
	eventually,
	messagesOf,
	postJson,
	problem,
	type RunBody,
	waitForRun,
} from '../helpers'

interface Key {
	id: string
	secret: string
	actor: string
}

async function createKey(role: string): Promise<Key> {
	const res = await postJson('/v1/keys', { name: `${role} of the principals test`, role })
	expect(res.status).toBe(201)
	const body = (await res.json()) as { key: { id: string }; secret: string }
	return { id: body.key.id, secret: body.secret, actor: `key:${body.key.id}` }
}

function sendAs(
	key: Key,
	session: string,
	body: Record<string, unknown>,
): Promise<{ status: number; run: RunBody & { disposition?: string } }> {
	return call(`/v1/sessions/${session}/messages`, {
		method: 'POST',
		headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
		body: JSON.stringify({ agent: 'coder', ...body }),
	}).then(async (r) => ({ status: r.status, run: (await r.json()) as RunBody }))
}

const asKey = (key: Key, path: string, init: RequestInit = {}) =>
	call(path, {
		...init,
		headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
	})

interface Execution {
	tool: string
	actor: string
	principals: string[]
	placement: string
	status: string
	decision: string
	policyId: string
	code: string | null
}

/** The session's tool executions once `count` of them are recorded (they land in the background). */
function executions(session: string, count = 1): Promise<Execution[]> {
	return eventually(async () => {
		const res = await admin(`/v1/tool-executions?session=${session}`)
		const { executions } = (await res.json()) as { executions: Execution[] }
		return executions.length >= count ? executions : undefined
	})
}

const runJs = (code: string) => `/tool run_js ${JSON.stringify({ code })}`

/** An operator's run that sleeps long enough for a member's steer to reach it, then the steer. */
async function operatorRunSteeredByMember(
	session: string,
	steer: string,
	agent = 'coder',
): Promise<{ runId: string }> {
	const started = await sendAs(operator, session, { agent, content: '/slow 1500 working' })
	expect(started.status).toBe(202)
	const { runId } = started.run
	await waitForRun(session, runId, (r) => r.status === 'running', { agent })
	const steered = await sendAs(member, session, { agent, content: steer, mode: 'steer' })
	expect(steered.run).toMatchObject({ runId, disposition: 'steered' })
	return { runId }
}

let operator: Key
let member: Key

beforeAll(async () => {
	await createAgent(env.DB, 'coder', { tools: { profile: 'coding' } })
	await createAgent(env.DB, 'quick', {
		tools: { profile: 'coding' },
		// Long enough for a steer to reach the run before it dies, even on a loaded machine.
		limits: { runDeadlineMs: 3_000 },
	})
	await createAgent(env.DB, 'sod', {
		tools: { profile: 'coding', elevated: ['run_js'], separateApprover: true },
	})
	operator = await createKey('operator')
	member = await createKey('member')
})

describe('a run carries every principal whose message it took', () => {
	it("a member's steer into an operator's run: the job runs with both principals recorded", async () => {
		// No policy narrows members yet: the call is allowed for both, and the record names both.
		const { runId } = await operatorRunSteeredByMember('steer-job-ok', runJs('return 6 * 7'))
		const done = await waitForRun('steer-job-ok', runId, undefined, { agent: 'coder' })
		expect(done.output).toMatch(/^run_js returned \{"ok":true,"result":42/)
		const [row] = await executions('steer-job-ok')
		expect(row).toMatchObject({
			tool: 'run_js',
			placement: 'job',
			status: 'succeeded',
			actor: operator.actor,
			principals: [operator.actor, member.actor],
		})
	})

	describe('with a tenant policy that denies run_js and time_now to members', () => {
		beforeAll(async () => {
			const res = await postJson('/v1/policies', {
				id: 'members-no-js',
				effect: 'deny',
				resources: ['tenant:default/agent:*/tool:run_js', 'tenant:default/agent:*/tool:time_now'],
				actions: ['tools:invoke'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'member' }],
			})
			expect(res.status).toBe(201)
		})

		it("the operator's own run may still call them", async () => {
			const { run } = await sendAs(operator, 'op-alone', {
				content: '/tool time_now {}',
				wait: true,
			})
			expect(run.output).toMatch(/^time_now returned/)
		})

		it("a member's steer cannot make an operator's run call run_js (a job)", async () => {
			const { runId } = await operatorRunSteeredByMember('steer-js', runJs('return "pwned"'))
			const done = await waitForRun('steer-js', runId, undefined, { agent: 'coder' })
			expect(done.output).toBe(
				`run_js failed Calling "run_js" is not allowed: denied by policy "tenant:members-no-js" for ${member.actor}, whose message this run carries.`,
			)
			const [row] = await executions('steer-js')
			expect(row).toMatchObject({
				tool: 'run_js',
				status: 'denied',
				decision: 'deny',
				policyId: 'tenant:members-no-js',
				actor: operator.actor,
				principals: [operator.actor, member.actor],
			})
			const audit = await eventually(async () => {
				const res = await admin('/v1/audit?action=tool.denied')
				const { entries } = (await res.json()) as { entries: Record<string, unknown>[] }
				return entries.find((e) => (e.data as { runId?: string }).runId === runId)
			})
			expect(audit).toMatchObject({
				actor: operator.actor,
				outcome: 'deny',
				target: 'tenant:default/agent:coder/tool:run_js',
				data: {
					policy: 'tenant:members-no-js',
					principal: member.actor,
					principals: [operator.actor, member.actor],
				},
			})
		})

		it("a member's steer cannot make an operator's run call a lane tool either", async () => {
			const { runId } = await operatorRunSteeredByMember('steer-lane', '/tool time_now {}')
			const done = await waitForRun('steer-lane', runId, undefined, { agent: 'coder' })
			expect(done.output).toMatch(/^time_now failed Calling "time_now" is not allowed/)
			const [row] = await executions('steer-lane')
			expect(row).toMatchObject({
				tool: 'time_now',
				placement: 'lane',
				status: 'denied',
				actor: operator.actor,
				principals: [operator.actor, member.actor],
			})
		})

		it("a steer the run never took runs as the member's, not as the operator's", async () => {
			// The operator's run dies at its deadline before any step that takes steers.
			const started = await sendAs(operator, 'steer-left', {
				agent: 'quick',
				content: '/slow 60000 stuck',
			})
			const first = started.run.runId
			await waitForRun('steer-left', first, (r) => r.status === 'running', { agent: 'quick' })
			const steered = await sendAs(member, 'steer-left', {
				agent: 'quick',
				content: '/tool time_now {}',
				mode: 'steer',
			})
			expect(steered.run.disposition).toBe('steered')
			const failed = await waitForRun('steer-left', first, undefined, { agent: 'quick' })
			expect(failed.error?.code).toBe('deadline_exceeded')
			const [row] = await executions('steer-left')
			expect(row).toMatchObject({
				tool: 'time_now',
				status: 'denied',
				actor: member.actor,
				principals: [member.actor],
			})
			const texts = (await messagesOf('steer-left', 'quick')).map((m) => m.text)
			expect(texts.at(-1)).toMatch(/^time_now failed Calling "time_now" is not allowed/)
		})

		it('collected messages of several senders make one run that needs every one of them', async () => {
			const busy = await sendAs(operator, 'collect-mixed', { content: '/slow 1500 busy' })
			await waitForRun('collect-mixed', busy.run.runId, (r) => r.status === 'running', {
				agent: 'coder',
			})
			const a = await sendAs(operator, 'collect-mixed', { content: 'first', mode: 'collect' })
			const b = await sendAs(member, 'collect-mixed', {
				content: '/tool time_now {}',
				mode: 'collect',
			})
			expect(b.run).toMatchObject({ runId: a.run.runId, disposition: 'collected' })
			await waitForRun('collect-mixed', a.run.runId, undefined, { agent: 'coder' })
			const [row] = await executions('collect-mixed')
			expect(row).toMatchObject({
				tool: 'time_now',
				status: 'denied',
				actor: operator.actor,
				principals: [operator.actor, member.actor],
			})
		})
	})
})

describe('separate approvers', () => {
	interface Approval {
		id: string
		status: string
		principals: string[]
		decidedBy: string | null
	}

	const pending = (session: string) =>
		eventually(async () => {
			const res = await admin(`/v1/sessions/${session}/approvals?agent=sod`)
			const { approvals } = (await res.json()) as { approvals: Approval[] }
			return approvals.find((a) => a.status === 'pending')
		})

	it('the principal whose message started the call cannot approve it; another can', async () => {
		const { run } = await sendAs(operator, 'sod-1', { agent: 'sod', content: runJs('return 1') })
		const approval = await pending('sod-1')
		expect(approval.principals).toEqual([operator.actor])

		const self = await asKey(operator, `/v1/sessions/sod-1/approvals/${approval.id}?agent=sod`, {
			method: 'POST',
			body: JSON.stringify({ decision: 'allow-once' }),
		})
		expect(self.status).toBe(403)
		expect(await problem(self)).toMatchObject({ code: 'approval_self_denied', status: 403 })
		const refused = await eventually(async () => {
			const res = await admin('/v1/audit?action=tool.approval_self_denied')
			const { entries } = (await res.json()) as { entries: Record<string, unknown>[] }
			return entries[0]
		})
		expect(refused).toMatchObject({
			actor: operator.actor,
			outcome: 'deny',
			target: 'session:sod/sod-1',
			data: { approvalId: approval.id, tool: 'run_js', principals: [operator.actor] },
		})
		expect((await pending('sod-1')).id).toBe(approval.id)

		const other = await postJson(`/v1/sessions/sod-1/approvals/${approval.id}?agent=sod`, {
			decision: 'allow-once',
		})
		expect(other.status).toBe(200)
		expect(await other.json()).toMatchObject({ status: 'allowed', decidedBy: 'admin-token' })
		const done = await waitForRun('sod-1', run.runId, undefined, { agent: 'sod' })
		expect(done.output).toMatch(/^run_js returned \{"ok":true,"result":1/)
	})

	it('off by default: without the rule the caller may approve its own call', async () => {
		await createAgent(env.DB, 'together', { tools: { profile: 'coding', elevated: ['run_js'] } })
		const { run } = await sendAs(operator, 'sod-2', {
			agent: 'together',
			content: runJs('return 2'),
		})
		const approval = await eventually(async () => {
			const res = await admin('/v1/sessions/sod-2/approvals?agent=together')
			const { approvals } = (await res.json()) as { approvals: Approval[] }
			return approvals.find((a) => a.status === 'pending')
		})
		const own = await asKey(
			operator,
			`/v1/sessions/sod-2/approvals/${approval.id}?agent=together`,
			{
				method: 'POST',
				body: JSON.stringify({ decision: 'allow-once' }),
			},
		)
		expect(own.status).toBe(200)
		const done = await waitForRun('sod-2', run.runId, undefined, { agent: 'together' })
		expect(done.output).toMatch(/^run_js returned/)
	})
})
