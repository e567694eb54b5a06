// The parent's side: it takes each child run's announce once (recorded by child run id) and
// queues it as a message its next turn sees — unless a sessions_spawn call is waiting for that
// child and returns the answer itself; and it lists its runs' children with their usage. (Its
// children are cancelled with it by cascade.ts.)
import type { AgentSnapshot } from '../../agents/runner'
import type { ChildRunView, RunView } from '../../lanes/types'
import { NO_SUBJECT } from '../../tools/policy'
import type { SubagentLaneContext } from './context'
import type { Announce, AnnounceAnswer } from './ports'
import { announceMessage } from './render'
import type { ChildRunRow } from './store'

class Refused extends Error {
	override readonly name = 'AnnounceRefused'
}

export class SubagentParent {
	readonly #c: SubagentLaneContext
	/** Children a sessions_spawn call waits for (by session key): their announce is its answer. */
	readonly #held = new Map<string, number>()

	constructor(c: SubagentLaneContext) {
		this.#c = c
	}

	hold(sessionKey: string): () => void {
		this.#held.set(sessionKey, (this.#held.get(sessionKey) ?? 0) + 1)
		let released = false
		return () => {
			if (released) return
			released = true
			const n = (this.#held.get(sessionKey) ?? 1) - 1
			if (n > 0) this.#held.set(sessionKey, n)
			else this.#held.delete(sessionKey)
		}
	}

	/** Takes a child run's end (idempotent by its run id); see AnnounceAnswer. */
	async accept(a: Announce): Promise<AnnounceAnswer> {
		const { store, subagents, host } = this.#c
		if (!store.exists()) return { accepted: true, outcome: 'gone' }
		store.migrate()
		const session = store.session()
		if (!session) return { accepted: true, outcome: 'gone' }
		const child = subagents.child(a.child.sessionKey)
		if (!child || child.agentId !== a.child.agentId || a.child.tenantId !== session.tenantId) {
			return { accepted: true, outcome: 'unknown' }
		}
		if (subagents.run(a.runId)?.announcedAt != null) return { accepted: true, outcome: 'duplicate' }
		let agent: AgentSnapshot | null | undefined = store.runs.latestAgent()
		if (!agent) {
			try {
				agent = await host.subagents?.loadAgent(session.tenantId, session.agentId)
			} catch (error) {
				return { accepted: false, reason: `the parent's agent could not be read: ${String(error)}` }
			}
			if (!agent) return { accepted: true, outcome: 'gone' }
		}
		const parentAgent = agent
		let queued = false
		try {
			const answer = this.#c.tx((): AnnounceAnswer => {
				// Read again: another offer of the same run may have been taken during the await.
				if (subagents.run(a.runId)?.announcedAt != null) {
					return { accepted: true, outcome: 'duplicate' }
				}
				subagents.recordEnd(a, host.now())
				const held = this.#held.has(a.child.sessionKey)
				this.#c.emit('subagent.announced', null, {
					sessionKey: a.child.sessionKey,
					agentId: a.child.agentId,
					childRunId: a.runId,
					parentRunId: subagents.run(a.runId)?.parentRunId ?? null,
					label: a.label,
					status: a.status,
					usage: a.usage,
					queued: !held,
				})
				if (held) return { accepted: true, outcome: 'returned' }
				const admitted = this.#c.admit({
					session,
					agent: parentAgent,
					content: [{ type: 'text', text: announceMessage(a) }],
					mode: 'collect',
					idempotencyKey: `announce:${a.runId}`,
					maxConcurrentRuns: child.gateLimit,
					subject: child.subject ?? { ...NO_SUBJECT, tenantId: session.tenantId },
				})
				if (!admitted.ok) throw new Refused(admitted.error.message)
				queued = true
				return { accepted: true, outcome: 'queued' }
			})
			if (queued) this.#c.admitted(session)
			return answer
		} catch (error) {
			if (error instanceof Refused) return { accepted: false, reason: error.message }
			throw error
		}
	}

	/** A run's view with the runs it started in children (when there are any). */
	withChildren(view: RunView): RunView {
		if (!this.#c.store.exists()) return view
		const rows = this.#c.subagents.runsOf(view.runId)
		return rows.length > 0 ? { ...view, children: rows.map(childRunView) } : view
	}
}

export const childRunView = (r: ChildRunRow): ChildRunView => ({
	sessionKey: r.sessionKey,
	agentId: r.agentId,
	runId: r.runId,
	status: r.status,
	usage:
		r.inputTokens !== null && r.outputTokens !== null
			? { inputTokens: r.inputTokens, outputTokens: r.outputTokens }
			: null,
})
