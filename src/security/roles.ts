// The built-in policies: tenant isolation, the platform admin, and what each role may do. They are
// ordinary policies for the engine (deny wins, default deny); a tenant's own policies (D1
// `policies`) are evaluated with them, so a tenant can narrow a role but never cross a tenant.
import type { Policy } from './policy'

/** Actions only the deployment's bootstrap admin (EDGECLAW_ADMIN_TOKEN) may perform. */
export const PLATFORM_ACTIONS = [
	'tenants:*',
	'providers:*',
	'platform-audit:*',
	'platform-metrics:*',
	'platform-lanes:*',
	'secrets:rotate',
] as const

const role = (name: string, actions: string[]): Policy => ({
	id: `role:${name}`,
	effect: 'allow',
	resources: ['tenant:*'],
	actions,
	conditions: [{ key: 'subject.role', operator: 'equals', value: name }],
	priority: 0,
})

export const SYSTEM_POLICIES: readonly Policy[] = [
	{
		id: 'system:tenant-isolation',
		effect: 'deny',
		resources: ['*'],
		actions: ['*'],
		conditions: [
			{ key: 'subject.kind', operator: 'notEquals', value: 'platform' },
			{ key: 'resource.tenant', operator: 'notEquals', value: { ref: 'subject.tenant' } },
		],
		priority: 1_000,
	},
	{
		id: 'system:platform-only',
		effect: 'deny',
		resources: ['*'],
		actions: [...PLATFORM_ACTIONS],
		conditions: [{ key: 'subject.kind', operator: 'notEquals', value: 'platform' }],
		priority: 1_000,
	},
	{
		id: 'system:platform-admin',
		effect: 'allow',
		resources: ['*'],
		actions: ['*'],
		conditions: [{ key: 'subject.kind', operator: 'equals', value: 'platform' }],
		priority: 100,
	},
	{
		// Every principal may ask who it is, in its own tenant (isolation above still applies).
		id: 'system:who-am-i',
		effect: 'allow',
		resources: ['tenant:*'],
		actions: ['me:read'],
		priority: 0,
	},
	role('admin', ['*']),
	role('operator', [
		'agents:*',
		'memory:*',
		'sessions:*',
		'tools:invoke',
		'tools:read',
		'usage:read',
		'metrics:read',
		'alerts:read',
		'provider-health:read',
		'audit:read',
		'audit:verify',
		'audit:checkpoint',
		'keys:list',
		'policies:list',
		'secrets:list',
		'security:read',
		'channels:list',
		'channels:read',
		'channels:pair',
		'devices:list',
		'devices:approve',
		'devices:revoke',
		// A schedule's turns act with the authority of whoever last wrote it (docs/automation.md).
		'schedules:*',
	]),
	role('member', [
		'agents:list',
		'agents:read',
		'agents:embed',
		'memory:read',
		'sessions:list',
		'sessions:read',
		'sessions:send',
		'sessions:cancel',
		'sessions:reset',
		'sessions:export',
		'sessions:stream',
		'usage:read',
		'metrics:read',
		'alerts:read',
		'tools:invoke',
		'schedules:list',
		'schedules:read',
	]),
	role('viewer', [
		'agents:list',
		'agents:read',
		'memory:read',
		'sessions:list',
		'sessions:read',
		'sessions:export',
		'sessions:stream',
		'usage:read',
		'metrics:read',
		'alerts:read',
		'schedules:list',
		'schedules:read',
	]),
]
