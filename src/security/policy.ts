// The policy engine (the seed's model, with two corrections): policies with an effect, resource
// and action patterns (`*` wildcards) and conditions; evaluated over every matching policy —
// **deny wins** over any allow, whatever the priorities — and with no match the answer is the
// default deny. Priority orders allows only (the highest-priority allow names the decision).
// Patterns are anchored and literal apart from `*` (the seed's unanchored, unescaped regex would let
// `agents:read` match `xagents:readx` and `.` match anything). Decisions are cached per isolate by
// policy-set version. The same engine authorises gateway routes and tool calls.

export type Effect = 'allow' | 'deny'

export const OPERATORS = [
	'equals',
	'notEquals',
	'in',
	'notIn',
	'startsWith',
	'endsWith',
	'contains',
	'lessThan',
	'greaterThan',
] as const
export type Operator = (typeof OPERATORS)[number]

export interface Condition {
	/** Dotted path into the request: `subject.role`, `subject.tenant`, `resource.tenant`, `context.ip`, … */
	key: string
	operator: Operator
	value: unknown
}

export interface Policy {
	id: string
	effect: Effect
	resources: string[]
	actions: string[]
	conditions?: Condition[]
	priority: number
}

export interface AccessRequest {
	subject: { id: string; role: string; tenant: string; kind: string; scopes: string[] }
	/** e.g. `tenant:acme/agent:main`, `tenant:acme/session:*` */
	resource: string
	resourceTenant: string
	/** e.g. `agents:update` */
	action: string
	context: Record<string, string | number | boolean | undefined>
}

export interface Decision {
	effect: Effect
	policyId: string
	reason: string
}

const patternCache = new Map<string, RegExp>()

/** `*` matches any run of characters; everything else is literal; the whole value must match. */
export function matchesPattern(pattern: string, value: string): boolean {
	if (pattern === '*') return true
	if (!pattern.includes('*')) return pattern === value
	let re = patternCache.get(pattern)
	if (!re) {
		const body = pattern
			.split('*')
			.map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
			.join('.*')
		re = new RegExp(`^${body}$`, 's')
		if (patternCache.size > 2_000) patternCache.clear()
		patternCache.set(pattern, re)
	}
	return re.test(value)
}

function valueAt(request: AccessRequest, key: string): unknown {
	const [root, ...rest] = key.split('.')
	let value: unknown =
		root === 'subject'
			? request.subject
			: root === 'context'
				? request.context
				: root === 'resource'
					? { id: request.resource, tenant: request.resourceTenant }
					: root === 'action'
						? request.action
						: undefined
	for (const part of rest) {
		if (value === null || typeof value !== 'object') return undefined
		value = (value as Record<string, unknown>)[part]
	}
	return value
}

/** Values that name another value of the request, e.g. `{ "ref": "subject.tenant" }`. */
function resolve(request: AccessRequest, expected: unknown): unknown {
	if (expected && typeof expected === 'object' && 'ref' in expected) {
		return valueAt(request, String((expected as { ref: unknown }).ref))
	}
	return expected
}

export function conditionHolds(request: AccessRequest, c: Condition): boolean {
	const actual = valueAt(request, c.key)
	const expected = resolve(request, c.value)
	switch (c.operator) {
		case 'equals':
			return actual === expected
		case 'notEquals':
			return actual !== expected
		case 'in':
			return Array.isArray(expected) && expected.includes(actual)
		case 'notIn':
			return Array.isArray(expected) && !expected.includes(actual)
		case 'startsWith':
			return (
				typeof actual === 'string' && typeof expected === 'string' && actual.startsWith(expected)
			)
		case 'endsWith':
			return typeof actual === 'string' && typeof expected === 'string' && actual.endsWith(expected)
		case 'contains':
			return typeof actual === 'string' && typeof expected === 'string' && actual.includes(expected)
		case 'lessThan':
			return typeof actual === 'number' && typeof expected === 'number' && actual < expected
		case 'greaterThan':
			return typeof actual === 'number' && typeof expected === 'number' && actual > expected
	}
}

export function policyMatches(policy: Policy, request: AccessRequest): boolean {
	return (
		policy.actions.some((p) => matchesPattern(p, request.action)) &&
		policy.resources.some((p) => matchesPattern(p, request.resource)) &&
		(policy.conditions ?? []).every((c) => conditionHolds(request, c))
	)
}

/** Deny wins; then the highest-priority allow; else default deny. */
export function evaluate(policies: readonly Policy[], request: AccessRequest): Decision {
	let allow: Policy | undefined
	for (const policy of policies) {
		if (!policyMatches(policy, request)) continue
		if (policy.effect === 'deny') {
			return { effect: 'deny', policyId: policy.id, reason: `denied by policy "${policy.id}"` }
		}
		if (!allow || policy.priority > allow.priority) allow = policy
	}
	if (allow)
		return { effect: 'allow', policyId: allow.id, reason: `allowed by policy "${allow.id}"` }
	return { effect: 'deny', policyId: 'default-deny', reason: 'no policy allows this' }
}

/** Decisions per isolate, keyed by the policy set's version and the request; bounded. */
export class DecisionCache {
	readonly #max: number
	readonly #entries = new Map<string, Decision>()

	constructor(max = 10_000) {
		this.#max = max
	}

	decide(version: string, policies: readonly Policy[], request: AccessRequest): Decision {
		const key = `${version}\u0000${request.subject.kind}\u0000${request.subject.id}\u0000${request.subject.role}\u0000${request.subject.tenant}\u0000${request.subject.scopes.join(',')}\u0000${request.resource}\u0000${request.resourceTenant}\u0000${request.action}\u0000${JSON.stringify(request.context)}`
		const hit = this.#entries.get(key)
		if (hit) return hit
		const decision = evaluate(policies, request)
		if (this.#entries.size >= this.#max)
			this.#entries.delete(this.#entries.keys().next().value as string)
		this.#entries.set(key, decision)
		return decision
	}
}
