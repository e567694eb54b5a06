// Trace page: one run of a session as a waterfall of its spans (queue wait, model calls, tool calls
// with their queue and execution, approvals waited), from `GET /v1/sessions/{key}/runs/{id}/trace`.
// Opened from a run on the Sessions page or in the chat; the run it shows lives in the URL.
import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { client, must } from '../api'
import { chatHref, traceHref } from '../links'
import { TextField } from '../ui/fields'
import { Filters } from '../ui/filters'
import { CopyButton, Page, Time, useResource } from '../ui/kit'
import { ResourceStatus } from '../ui/table'
import { AgentSelect } from './agent-select'
import { formatDuration } from './format'
import { Waterfall } from './waterfall'
import { layoutWaterfall, spanCount } from './waterfall-model'

export function TracePage() {
	const { query, route } = useLocation()
	const agent = query.agent || 'main'
	const session = query.session ?? ''
	const run = query.run ?? ''
	return (
		<Page title="Trace">
			<TraceLookup
				key={`${agent}/${session}/${run}`}
				initial={{ agent, session, run }}
				onShow={(next) => route(traceHref(next.agent || 'main', next.session, next.run))}
			/>
			{session && run ? (
				<RunTraceView
					key={`${agent}/${session}/${run}`}
					agent={agent}
					session={session}
					run={run}
				/>
			) : (
				<p class="muted">
					Name a session and one of its runs, or open a run's trace from the Sessions page.
				</p>
			)}
		</Page>
	)
}

interface TraceTarget {
	agent: string
	session: string
	run: string
}

function TraceLookup(props: { initial: TraceTarget; onShow: (target: TraceTarget) => void }) {
	const [draft, setDraft] = useState(props.initial)
	return (
		<Filters
			label="Run"
			apply="Show trace"
			onApply={() =>
				props.onShow({ ...draft, session: draft.session.trim(), run: draft.run.trim() })
			}
		>
			<AgentSelect
				value={draft.agent}
				required
				onChange={(agent) => setDraft({ ...draft, agent })}
			/>
			<TextField
				id="trace-session"
				label="Session"
				value={draft.session}
				errors={[]}
				onInput={(session) => setDraft({ ...draft, session })}
			/>
			<TextField
				id="trace-run"
				label="Run"
				value={draft.run}
				errors={[]}
				onInput={(run) => setDraft({ ...draft, run })}
			/>
		</Filters>
	)
}

function RunTraceView({ agent, session, run }: TraceTarget) {
	const trace = useResource(
		(signal) =>
			must(
				client.GET('/v1/sessions/{sessionKey}/runs/{runId}/trace', {
					params: { path: { sessionKey: session, runId: run }, query: { agent } },
					signal,
				}),
				signal,
			),
		[agent, session, run],
	)
	const data = trace.data
	// Open spans are drawn until the moment the page was opened.
	const [now] = useState(() => Date.now())
	const tree = data && layoutWaterfall(data.root, now)
	return (
		<>
			<ResourceStatus resource={trace} />
			{data && tree && (
				<section aria-labelledby="trace-title">
					<h2 id="trace-title">
						Run <code>{data.runId}</code>
					</h2>
					<dl class="stats">
						<div>
							<dt>Session</dt>
							<dd>
								<a href={chatHref(data.agentId, data.sessionKey)}>
									{data.agentId} / {data.sessionKey}
								</a>
							</dd>
						</div>
						<div>
							<dt>Started</dt>
							<dd>
								<Time at={data.root.startedAt} />
							</dd>
						</div>
						<div>
							<dt>Duration</dt>
							<dd>{formatDuration(tree.durationMs)}</dd>
						</div>
						<div>
							<dt>Status</dt>
							<dd>
								<span class={`status status-${data.root.status}`}>{data.root.status}</span>
							</dd>
						</div>
						<div>
							<dt>Trace id</dt>
							<dd>
								{data.traceId ? (
									<>
										<code>{data.traceId}</code> <CopyButton text={data.traceId} />
									</>
								) : (
									<span class="muted">none (a run from before traces)</span>
								)}
							</dd>
						</div>
					</dl>
					<Waterfall tree={tree} label={`Spans of run ${data.runId}, ${spanCount(tree)} in all`} />
				</section>
			)}
		</>
	)
}
