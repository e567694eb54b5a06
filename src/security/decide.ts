// One decision procedure for every access request — gateway routes and tool calls alike: a key's
// scopes first, then the policy engine over the system policies plus the tenant's own (deny wins,
// default deny), cached per isolate by policy-set version. The tenant's policies come in as a
// loader, so this module stays free of storage.
import {
	type AccessRequest,
	type Decision,
	DecisionCache,
	matchesPattern,
	type Policy,
} from './policy'
import { SYSTEM_POLICIES } from './roles'

export interface PolicySet {
	/** Changes whenever the set changes, so cached decisions never outlive it. */
	version: string
	policies: readonly Policy[]
}

const decisions = new DecisionCache()

/**
 * Actions a key's scopes never narrow: asking who you are (`GET /v1/me`) reveals only what the
 * caller's own credential already stands for, and a client needs it to know what it may do.
 */
export const UNSCOPED_ACTIONS: readonly string[] = ['me:read']

/** Decides one request. `tenantPolicies` is called only for tenant principals. */
export async function decideAccess(
	request: AccessRequest,
	tenantPolicies: (tenantId: string) => Promise<PolicySet>,
): Promise<Decision> {
	const scopes = request.subject.scopes
	if (
		scopes.length > 0 &&
		!UNSCOPED_ACTIONS.includes(request.action) &&
		!scopes.some((s) => matchesPattern(s, request.action))
	) {
		return {
			effect: 'deny',
			policyId: 'key-scopes',
			reason: "the key's scopes do not include this action",
		}
	}
	// The bootstrap admin is the break-glass credential: a tenant's own policies (which could deny
	// everything, including their own repair) do not bind it.
	if (request.subject.kind === 'platform')
		return decisions.decide('system', SYSTEM_POLICIES, request)
	const tenant = await tenantPolicies(request.resourceTenant)
	return decisions.decide(tenant.version, [...SYSTEM_POLICIES, ...tenant.policies], request)
}
