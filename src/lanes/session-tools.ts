// A lane's tool calls wired to its session: their audit rows name the session as target in its
// tenant's chain, and approval changes reach the sessions index at once (the tenant's list of
// pending approvals reads it), not at the index's usual pace.
import type { LaneHost } from './host'
import type { LaneJournal } from './journal'
import { LaneToolCalls } from './tool-calls'
import { indexRow } from './views'

/** `indexed`: an approval change was written to the index (a throwaway session has a row then). */
export function sessionToolCalls(
	host: LaneHost,
	journal: LaneJournal,
	indexed: () => void = () => {},
): LaneToolCalls {
	const { store } = host
	return new LaneToolCalls({
		store: store.tools,
		host,
		tx: (fn) => journal.tx(fn),
		emit: (type, runId, data) => journal.emit(type, runId, data),
		audit: (event) => {
			const session = store.session()
			if (!session) return
			host.toolbox.audit({
				...event,
				tenantId: session.tenantId,
				target: `session:${session.agentId}/${session.sessionKey}`,
			})
		},
		approvalsChanged: () => {
			const session = store.session()
			if (!session) return
			indexed()
			host.index.upsert(session, indexRow(store, host.now()), { now: true })
		},
	})
}
