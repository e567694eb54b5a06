// A run acts with the least privileges of every principal whose message it carries: the sender
// who started it, then each sender whose message joined it (a steer it took, a collected batch).
// A tool call is allowed only when the policy engine allows it for every one of them.
import type { AccessRequest, Decision } from '../security/policy'
import { actorOf, type ToolSubject } from '../security/subject'
import { type ToolCallTarget, toolAccessRequest } from './policy'

/**
 * Most distinct principals one run may act for. Beyond it every tool call is refused: a job
 * carries them all to the queue consumer, and a message on the queue has a size limit.
 */
export const MAX_RUN_PRINCIPALS = 32

/** Same credential with the same rights (role, scopes, channel): one principal. */
const principalKey = (s: ToolSubject): string =>
	JSON.stringify([actorOf(s), s.tenantId, s.role, s.channel, [...s.scopes].sort()])

/** The distinct principals of `subjects`, in first-seen order (the run's starter first). */
export function uniquePrincipals(subjects: readonly ToolSubject[]): ToolSubject[] {
	const seen = new Set<string>()
	const out: ToolSubject[] = []
	for (const s of subjects) {
		const key = principalKey(s)
		if (seen.has(key)) continue
		seen.add(key)
		out.push(s)
	}
	return out
}

/** The audit names of `principals` (`key:<id>`, `jwt:<sub>`, `admin-token`), without repeats. */
export const actorsOf = (principals: readonly ToolSubject[]): string[] => [
	...new Set(principals.map(actorOf)),
]

/** A decision over every principal of a run; a deny names the principal it was made for. */
export interface RunDecision extends Decision {
	/** The principal the deny was made for (absent on allow). */
	principal?: string
}

/**
 * Decides a tool call for every principal: allowed only when each is allowed; otherwise the
 * first denial in the run's order (the starter first). An allow reports the starter's policy.
 */
export async function decideForEvery(
	decide: (request: AccessRequest) => Promise<Decision>,
	principals: readonly ToolSubject[],
	target: ToolCallTarget,
	now: number,
): Promise<RunDecision> {
	if (principals.length === 0) {
		return { effect: 'deny', policyId: 'no-principal', reason: 'the run acts for nobody' }
	}
	if (principals.length > MAX_RUN_PRINCIPALS) {
		return {
			effect: 'deny',
			policyId: 'too-many-principals',
			reason: `the run carries messages of more than ${MAX_RUN_PRINCIPALS} principals`,
		}
	}
	const decisions = await Promise.all(
		principals.map((p) => decide(toolAccessRequest(p, target, now))),
	)
	const denied = decisions.findIndex((d) => d.effect === 'deny')
	if (denied === -1) return decisions[0] as Decision
	const decision = decisions[denied] as Decision
	const who = principals[denied] as ToolSubject
	return { ...decision, principal: actorOf(who) }
}

/** The refusal the model reads; a run of several principals says whose rights fell short. */
export function deniedText(tool: string, decision: RunDecision, principals: number): string {
	const whose =
		principals > 1 && decision.principal
			? ` for ${decision.principal}, whose message this run carries`
			: ''
	return `Calling "${tool}" is not allowed: ${decision.reason}${whose}.`
}
