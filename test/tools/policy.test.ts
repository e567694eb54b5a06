// The tool policy matrix: which tools an agent sees (profiles, groups, allow, deny wins, default
// deny), which calls the policy engine allows (roles, tenant policies, deny wins, default deny,
// wildcards, conditions over tool, side effect, channel, agent and time), which need approval,
// that cached decisions follow a changed policy set, and that a run of several principals is
// allowed a call only when each of them is.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { decideAccess, type PolicySet } from '../../src/security/decide'
import type { Policy } from '../../src/security/policy'
import type { ToolSubject } from '../../src/security/subject'
import { toolCatalog } from '../../src/tools/builtin/index'
import { ToolsConfig } from '../../src/tools/config'
import { ToolInvoker } from '../../src/tools/invoker'
import { toolAccessRequest } from '../../src/tools/policy'
import {
	actorsOf,
	decideForEvery,
	deniedText,
	MAX_RUN_PRINCIPALS,
	uniquePrincipals,
} from '../../src/tools/principals'
import { type AnyToolSpec, PROFILES, ToolRegistry } from '../../src/tools/registry'

const visible = (tools: Record<string, unknown>) =>
	toolCatalog()
		.forAgent(ToolsConfig.parse(tools))
		.map((t) => t.name)
		.sort()

describe('tool selection (default deny)', () => {
	it('each profile opens its groups and nothing else', () => {
		expect(visible({ profile: 'minimal' })).toEqual(['session_status', 'time_now'])
		expect(visible({ profile: 'messaging' })).toEqual(['session_status', 'time_now'])
		expect(visible({ profile: 'coding' })).toEqual([
			'edit_file',
			'exec',
			'list_files',
			'read_file',
			'run_js',
			'session_status',
			'time_now',
			'web_fetch',
			'write_file',
		])
		expect(visible({ profile: 'full' })).toEqual(toolCatalog().names.sort())
		expect(Object.keys(PROFILES).sort()).toEqual(['coding', 'full', 'messaging', 'minimal'])
	})

	it('allow adds names, groups and patterns; OpenClaw group names are aliases', () => {
		expect(visible({ allow: ['run_js'] })).toContain('run_js')
		expect(visible({ allow: ['group:fs'] })).toEqual(
			expect.arrayContaining(['read_file', 'write_file', 'edit_file', 'list_files']),
		)
		expect(visible({ allow: ['group:runtime'] })).toEqual(
			expect.arrayContaining(['exec', 'run_js']),
		)
		expect(visible({ allow: ['*_file'] })).toEqual(
			expect.arrayContaining(['read_file', 'write_file', 'edit_file']),
		)
		expect(visible({ allow: ['*_file'] })).not.toContain('list_files')
		expect(visible({ allow: ['web'] })).not.toContain('web_fetch')
	})

	it('a group no tool is in is still a valid entry and opens nothing', () => {
		expect(visible({ allow: ['group:messaging'] })).toEqual(['session_status', 'time_now'])
	})

	it('subagent tools (group:sessions) open only by allow or the full profile', () => {
		const sessions = ['sessions_history', 'sessions_list', 'sessions_send', 'sessions_spawn']
		for (const profile of ['minimal', 'messaging', 'coding']) {
			expect(visible({ profile })).not.toEqual(expect.arrayContaining([sessions[0]]))
		}
		expect(visible({ allow: ['group:sessions'] })).toEqual(
			['session_status', ...sessions, 'time_now'].sort(),
		)
		expect(visible({ profile: 'full' })).toEqual(expect.arrayContaining(sessions))
		expect(visible({ allow: ['group:sessions'], deny: ['sessions_spawn'] })).not.toContain(
			'sessions_spawn',
		)
	})

	it('deny wins over the profile and over allow', () => {
		expect(visible({ profile: 'coding', deny: ['group:exec'] })).not.toEqual(
			expect.arrayContaining(['exec']),
		)
		expect(visible({ profile: 'full', deny: ['*'] })).toEqual([])
		expect(visible({ allow: ['run_js'], deny: ['run_js'] })).not.toContain('run_js')
	})

	it('elevated tools are named by name, group or pattern', () => {
		const invoker = (elevated: string[]) =>
			new ToolInvoker({} as never, {
				tenantId: 't',
				agentId: 'a',
				sessionKey: 's',
				principals: () => [subject()],
				tools: ToolsConfig.parse({ elevated }),
				now: Date.now,
			})
		const spec = (name: string) => toolCatalog().get(name) as AnyToolSpec
		expect(invoker(['group:exec']).isElevated(spec('exec'))).toBe(true)
		expect(invoker(['group:exec']).isElevated(spec('read_file'))).toBe(false)
		expect(invoker(['write_*']).isElevated(spec('write_file'))).toBe(true)
		expect(invoker([]).isElevated(spec('exec'))).toBe(false)
	})

	it('refuses config entries that are not tool names', () => {
		expect(ToolsConfig.safeParse({ allow: ['rm -rf'] }).success).toBe(false)
		expect(ToolsConfig.safeParse({ profile: 'root' }).success).toBe(false)
	})
})

function subject(over: Partial<ToolSubject> = {}): ToolSubject {
	return {
		kind: 'api-key',
		id: 'k1',
		role: 'member',
		tenantId: 'acme',
		scopes: [],
		channel: 'api',
		...over,
	}
}

const NOON_MONDAY = Date.UTC(2026, 10, 30, 12, 0, 0)
const NIGHT_MONDAY = Date.UTC(2026, 10, 30, 2, 0, 0)

let version = 0
const set = (policies: Policy[]): (() => Promise<PolicySet>) => {
	const fixed = { version: `test:${++version}`, policies }
	return async () => fixed
}

const tenantPolicy = (over: Partial<Policy> & Pick<Policy, 'id' | 'effect'>): Policy => ({
	resources: ['tenant:acme/agent:*/tool:*'],
	actions: ['tools:invoke'],
	priority: 0,
	...over,
})

async function decide(
	tool: string,
	policies: () => Promise<PolicySet>,
	options: {
		subject?: ToolSubject
		at?: number
		agent?: string
		sideEffect?: 'read' | 'exec'
	} = {},
) {
	return decideAccess(
		toolAccessRequest(
			options.subject ?? subject(),
			{
				tenantId: 'acme',
				agentId: options.agent ?? 'main',
				sessionKey: 's1',
				tool,
				sideEffect: options.sideEffect ?? 'exec',
			},
			options.at ?? NOON_MONDAY,
		),
		policies,
	)
}

describe('tool calls under the policy engine', () => {
	it('roles: member, operator and admin may invoke tools; a viewer may not (default deny)', async () => {
		const none = set([])
		for (const role of ['member', 'operator', 'admin']) {
			expect((await decide('exec', none, { subject: subject({ role }) })).effect).toBe('allow')
		}
		const viewer = await decide('exec', none, { subject: subject({ role: 'viewer' }) })
		expect(viewer).toMatchObject({ effect: 'deny', policyId: 'default-deny' })
		const stranger = await decide('exec', none, { subject: subject({ role: 'guest' }) })
		expect(stranger.effect).toBe('deny')
	})

	it('another tenant is never reachable', async () => {
		const d = await decide('exec', set([]), {
			subject: subject({ tenantId: 'other', role: 'admin' }),
		})
		expect(d).toMatchObject({ effect: 'deny', policyId: 'system:tenant-isolation' })
	})

	it('deny wins over any allow, whatever the priority', async () => {
		const d = await decide(
			'exec',
			set([
				tenantPolicy({ id: 'all', effect: 'allow', priority: 1_000 }),
				tenantPolicy({
					id: 'no-exec',
					effect: 'deny',
					resources: ['tenant:acme/agent:*/tool:exec'],
				}),
			]),
		)
		expect(d).toMatchObject({ effect: 'deny', policyId: 'no-exec' })
		const other = await decide(
			'read_file',
			set([
				tenantPolicy({
					id: 'no-exec',
					effect: 'deny',
					resources: ['tenant:acme/agent:*/tool:exec'],
				}),
			]),
			{ sideEffect: 'read' },
		)
		expect(other.effect).toBe('allow')
	})

	it('wildcards are anchored: tool:exec* matches exec and exec_x, not run_exec', async () => {
		const p = set([
			tenantPolicy({ id: 'x', effect: 'deny', resources: ['tenant:acme/agent:*/tool:exec*'] }),
		])
		expect((await decide('exec', p)).effect).toBe('deny')
		expect((await decide('exec_x', p)).effect).toBe('deny')
		expect((await decide('run_exec', p)).effect).toBe('allow')
	})

	it('conditions: side effect, agent, channel, UTC hour and weekday', async () => {
		const noExecAtNight = set([
			tenantPolicy({
				id: 'night',
				effect: 'deny',
				conditions: [
					{ key: 'context.sideEffect', operator: 'equals', value: 'exec' },
					{ key: 'context.hour', operator: 'lessThan', value: 6 },
				],
			}),
		])
		expect((await decide('exec', noExecAtNight, { at: NIGHT_MONDAY })).effect).toBe('deny')
		expect((await decide('exec', noExecAtNight, { at: NOON_MONDAY })).effect).toBe('allow')
		expect(
			(await decide('read_file', noExecAtNight, { at: NIGHT_MONDAY, sideEffect: 'read' })).effect,
		).toBe('allow')

		const weekdaysOnly = set([
			tenantPolicy({
				id: 'weekend',
				effect: 'deny',
				conditions: [{ key: 'context.weekday', operator: 'in', value: [0, 6] }],
			}),
		])
		const sunday = Date.UTC(2026, 10, 29, 12)
		expect((await decide('exec', weekdaysOnly, { at: sunday })).effect).toBe('deny')
		expect((await decide('exec', weekdaysOnly, { at: NOON_MONDAY })).effect).toBe('allow')

		const perChannel = set([
			tenantPolicy({
				id: 'chat-no-exec',
				effect: 'deny',
				conditions: [
					{ key: 'context.channel', operator: 'startsWith', value: 'chat:' },
					{ key: 'context.agent', operator: 'equals', value: 'main' },
				],
			}),
		])
		expect(
			(await decide('exec', perChannel, { subject: subject({ channel: 'chat:slack' }) })).effect,
		).toBe('deny')
		expect(
			(await decide('exec', perChannel, { subject: subject({ channel: 'api' }) })).effect,
		).toBe('allow')
		expect(
			(
				await decide('exec', perChannel, {
					subject: subject({ channel: 'chat:slack' }),
					agent: 'helper',
				})
			).effect,
		).toBe('allow')
	})

	it('a tenant can open tools to a role that has none, and scopes still bind keys', async () => {
		const viewerMayRead = set([
			tenantPolicy({
				id: 'viewer-read',
				effect: 'allow',
				conditions: [
					{ key: 'subject.role', operator: 'equals', value: 'viewer' },
					{ key: 'context.sideEffect', operator: 'equals', value: 'read' },
				],
			}),
		])
		const viewer = subject({ role: 'viewer' })
		expect(
			(await decide('read_file', viewerMayRead, { subject: viewer, sideEffect: 'read' })).effect,
		).toBe('allow')
		expect((await decide('exec', viewerMayRead, { subject: viewer })).effect).toBe('deny')
		const scoped = await decide('exec', set([]), { subject: subject({ scopes: ['sessions:*'] }) })
		expect(scoped).toMatchObject({ effect: 'deny', policyId: 'key-scopes' })
		const withTools = await decide('exec', set([]), { subject: subject({ scopes: ['tools:*'] }) })
		expect(withTools.effect).toBe('allow')
	})

	it('a new policy-set version replaces cached decisions', async () => {
		const open = set([])
		expect((await decide('exec', open)).effect).toBe('allow')
		const closed = set([tenantPolicy({ id: 'closed', effect: 'deny' })])
		expect((await decide('exec', closed)).effect).toBe('deny')
	})

	it('the platform admin is not bound by tenant policies (break-glass)', async () => {
		const closed = set([tenantPolicy({ id: 'closed', effect: 'deny' })])
		const d = await decide('exec', closed, {
			subject: subject({ kind: 'platform', role: 'admin' }),
		})
		expect(d).toMatchObject({ effect: 'allow', policyId: 'system:platform-admin' })
	})
})

describe('a run of several principals', () => {
	const target = {
		tenantId: 'acme',
		agentId: 'main',
		sessionKey: 's1',
		tool: 'run_js',
		sideEffect: 'exec' as const,
	}
	const noJsForMembers = set([
		tenantPolicy({
			id: 'no-js',
			effect: 'deny',
			resources: ['tenant:acme/agent:*/tool:run_js'],
			conditions: [{ key: 'subject.role', operator: 'equals', value: 'member' }],
		}),
	])
	const decideAll = (principals: ToolSubject[], policies = noJsForMembers) =>
		decideForEvery((r) => decideAccess(r, policies), principals, target, NOON_MONDAY)

	it('is allowed a call only when every principal is; the deny names the one denied', async () => {
		const operator = subject({ id: 'op', role: 'operator' })
		const member = subject({ id: 'm1', role: 'member' })
		expect(await decideAll([operator])).toMatchObject({ effect: 'allow' })
		const mixed = await decideAll([operator, member])
		expect(mixed).toMatchObject({ effect: 'deny', policyId: 'no-js', principal: 'key:m1' })
		expect(deniedText('run_js', mixed, 2)).toBe(
			'Calling "run_js" is not allowed: denied by policy "no-js" for key:m1, whose message this run carries.',
		)
		// A scoped key narrows the run as much as a role does.
		const scoped = await decideAll(
			[operator, subject({ id: 'k2', scopes: ['sessions:*'] })],
			set([]),
		)
		expect(scoped).toMatchObject({ effect: 'deny', policyId: 'key-scopes', principal: 'key:k2' })
		// The platform admin's break-glass does not lift a member's limits.
		const platform = subject({ kind: 'platform', id: 'admin-token', role: 'admin' })
		expect(await decideAll([platform, member])).toMatchObject({
			effect: 'deny',
			principal: 'key:m1',
		})
	})

	it('acts for nobody without principals, and refuses more than it can carry', async () => {
		expect(await decideAll([])).toMatchObject({ effect: 'deny', policyId: 'no-principal' })
		const many = Array.from({ length: MAX_RUN_PRINCIPALS + 1 }, (_, i) =>
			subject({ id: `k${i}`, role: 'operator' }),
		)
		expect(await decideAll(many)).toMatchObject({
			effect: 'deny',
			policyId: 'too-many-principals',
		})
	})

	it('counts one credential with the same rights once, in first-seen order', () => {
		const a = subject({ id: 'a', scopes: ['tools:*', 'sessions:*'] })
		const again = subject({ id: 'a', scopes: ['sessions:*', 'tools:*'] })
		const b = subject({ id: 'b' })
		expect(uniquePrincipals([a, b, again, b]).map((s) => s.id)).toEqual(['a', 'b'])
		expect(actorsOf([a, b, again])).toEqual(['key:a', 'key:b'])
	})
})

describe('registry', () => {
	it('refuses two tools of one name', () => {
		const spec: AnyToolSpec = {
			name: 'x',
			description: 'x',
			parameters: z.object({}),
			sideEffect: 'read',
			groups: [],
			timeoutMs: 1,
			idempotent: true,
			placement: 'lane',
			execute: async () => null,
		}
		expect(() => new ToolRegistry().register(spec).register(spec)).toThrow('registered twice')
		expect(() => toolCatalog().with([{ ...spec, name: 'exec' }])).toThrow('registered twice')
	})
})
