// Sessions page: the tenant's sessions from the D1 index, newest first, filtered by agent and paged
// by cursor; each opens in the chat, exports as JSON Lines, or is deleted (two steps), and its last
// run opens as a trace.
import { useLocation } from 'preact-iso'
import { client, given, must, type Schemas } from '../api'
import { chatHref, traceHref } from '../links'
import { can } from '../session'
import { useAction } from '../ui/action'
import { ConfirmButton } from '../ui/confirm-button'
import { ErrorNotice, Page, Time } from '../ui/kit'
import { ListStatus, LoadMore, usePaged } from '../ui/paged'
import { Table } from '../ui/table'
import { AgentSelect } from './agent-select'
import { saveResponse } from './download'
import { formatCount } from './format'

/** A row of `GET /v1/sessions`. */
export type SessionSummary = Schemas['SessionSummary']

const sameSession = (a: SessionSummary, b: SessionSummary) =>
	a.agent === b.agent && a.sessionKey === b.sessionKey

export function SessionsPage() {
	const { query, path, route } = useLocation()
	// The filter lives in the URL, so the view can be linked and survives a reload.
	const agent = query.agent ?? ''
	const list = usePaged<SessionSummary, string>(
		(cursor, signal) =>
			must(
				client.GET('/v1/sessions', {
					params: { query: { agent: given(agent), cursor, limit: 50 } },
					signal,
				}),
				signal,
			).then((r) => ({ items: r.sessions, next: r.nextCursor })),
		[agent],
	)
	const action = useAction()
	const chooseAgent = (next: string) =>
		route(next ? `${path}?${new URLSearchParams({ agent: next })}` : path, true)
	const exportSession = (s: SessionSummary) =>
		action.run(async () => {
			// As a stream: the body is left unread, for the file (and its name from the headers).
			const call = client.GET('/v1/sessions/{sessionKey}/export', {
				params: { path: { sessionKey: s.sessionKey }, query: { agent: s.agent } },
				parseAs: 'stream',
			})
			await must(call)
			await saveResponse((await call).response, `${s.agent}-${s.sessionKey}.jsonl`)
		})
	const deleteSession = (s: SessionSummary) =>
		action.run(async () => {
			await must(
				client.DELETE('/v1/sessions/{sessionKey}', {
					params: { path: { sessionKey: s.sessionKey }, query: { agent: s.agent } },
				}),
			)
			list.update((items) => items.filter((item) => !sameSession(item, s)))
		})
	const mayExport = can('sessions:export')
	const mayDelete = can('sessions:delete')
	const mayTrace = can('sessions:read')
	return (
		<Page title="Sessions">
			<div class="filters">
				<AgentSelect value={agent} onChange={chooseAgent} />
			</div>
			<ErrorNotice error={list.error} />
			<ErrorNotice error={action.error} />
			{list.items.length > 0 && (
				<Table columns={['Key', 'Agent', 'Messages', 'Last run', 'Updated', 'Actions']}>
					{list.items.map((s, i) => (
						<tr key={`${s.agent}/${s.sessionKey}`}>
							<td id={`session-${i}`}>
								<code>{s.sessionKey}</code>
							</td>
							<td>{s.agent}</td>
							<td class="num">{formatCount(s.messageCount)}</td>
							<td>
								{s.lastRunStatus ? (
									<span class={`status status-${s.lastRunStatus}`}>{s.lastRunStatus}</span>
								) : (
									<span class="muted">none</span>
								)}
								{mayTrace && s.lastRunId && (
									<>
										{' '}
										<a
											href={traceHref(s.agent, s.sessionKey, s.lastRunId)}
											aria-describedby={`session-${i}`}
										>
											Trace
										</a>
									</>
								)}
							</td>
							<td>
								<Time at={s.updatedAt} />
							</td>
							<td>
								<div class="row-actions">
									<a href={chatHref(s.agent, s.sessionKey)} aria-describedby={`session-${i}`}>
										Open
									</a>
									{mayExport && (
										<button
											type="button"
											disabled={action.busy}
											aria-describedby={`session-${i}`}
											onClick={() => exportSession(s)}
										>
											Export
										</button>
									)}
									{mayDelete && (
										<ConfirmButton
											label="Delete"
											disabled={action.busy}
											describedBy={`session-${i}`}
											onConfirm={() => deleteSession(s)}
										/>
									)}
								</div>
							</td>
						</tr>
					))}
				</Table>
			)}
			<ListStatus list={list} empty={agent ? `No sessions of ${agent}.` : 'No sessions yet.'} />
			<LoadMore list={list} />
		</Page>
	)
}
