// Approvals page: every pending approval of an elevated tool call across the tenant, decided from
// the list (allow once, allow always, deny); the list is read again after each decision.
import { useLocation } from 'preact-iso'
import { client, given, must, type Schemas } from '../api'
import type { ApprovalChoice } from '../chat/types'
import { chatHref } from '../links'
import { can } from '../session'
import { useAction } from '../ui/action'
import { ErrorNotice, Page, Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'
import { AgentSelect } from './agent-select'

/** A row of `GET /v1/approvals`: the session's Approval plus where it waits. */
export type PendingApproval = Schemas['PendingApproval']

export type Decision = ApprovalChoice

const DECISIONS: [Decision, string][] = [
	['allow-once', 'Allow once'],
	['allow-always', 'Allow always'],
	['deny', 'Deny'],
]

/** The model's arguments as the reader sees them: JSON, cut at a length a table cell can hold. */
export function argsPreview(args: unknown, max = 400): string {
	const text = typeof args === 'string' ? args : (JSON.stringify(args, null, 2) ?? '')
	return text.length > max ? `${text.slice(0, max)}…` : text
}

export function ApprovalsPage() {
	const { query, path, route } = useLocation()
	const agent = query.agent ?? ''
	const approvals = useResource(
		(signal) =>
			must(
				client.GET('/v1/approvals', {
					params: { query: { agent: given(agent), limit: 100 } },
					signal,
				}),
				signal,
			),
		[agent],
	)
	const decide = useAction()
	const mayDecide = can('sessions:approve')
	const send = async (a: PendingApproval, decision: Decision) => {
		await decide.run(() =>
			must(
				client.POST('/v1/sessions/{sessionKey}/approvals/{approvalId}', {
					params: {
						path: { sessionKey: a.sessionKey, approvalId: a.id },
						query: { agent: a.agentId },
					},
					body: { decision },
				}),
			),
		)
		// Decided, refused or already expired: either way the list has changed.
		approvals.reload()
	}
	const list = approvals.data?.approvals ?? []
	return (
		<Page
			title="Approvals"
			actions={
				<button type="button" disabled={approvals.loading} onClick={approvals.reload}>
					Refresh
				</button>
			}
		>
			<div class="filters">
				<AgentSelect
					value={agent}
					onChange={(next) =>
						route(next ? `${path}?${new URLSearchParams({ agent: next })}` : path, true)
					}
				/>
			</div>
			<ErrorNotice error={decide.error} />
			<ResourceStatus
				resource={approvals}
				empty={list.length === 0 && 'Nothing waits for approval.'}
			/>
			{list.length > 0 && (
				<Table
					columns={[
						'Tool',
						'Arguments',
						'Session',
						'For',
						'Asked',
						'Expires',
						mayDecide && 'Decision',
					]}
				>
					{list.map((a) => (
						<tr key={`${a.agentId}/${a.sessionKey}/${a.id}`}>
							<td>
								<code>{a.tool}</code>
							</td>
							<td>
								<pre class="cell-pre">{argsPreview(a.args)}</pre>
							</td>
							<td>
								<a href={chatHref(a.agentId, a.sessionKey)}>
									{a.agentId} / {a.sessionKey}
								</a>
							</td>
							<td>{a.principals.join(', ')}</td>
							<td>
								<Time at={a.createdAt} />
							</td>
							<td>
								<Time at={a.deadlineAt} />
							</td>
							{mayDecide && (
								<td>
									<fieldset class="row-actions decision" aria-label={`Approval: ${a.tool}`}>
										{DECISIONS.map(([decision, label]) => (
											<button
												key={decision}
												type="button"
												class={decision === 'deny' ? 'danger' : undefined}
												disabled={decide.busy}
												onClick={() => send(a, decision)}
											>
												{label}
											</button>
										))}
									</fieldset>
								</td>
							)}
						</tr>
					))}
				</Table>
			)}
		</Page>
	)
}
