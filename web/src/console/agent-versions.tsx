// An agent's version history (newest first) and what changed between a chosen version and the
// current one: a line diff of name and config, each line marked in words as well as colour.
import { useState } from 'preact/hooks'
import { client, must } from '../api'
import { Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'
import type { Agent } from './agent-editor'
import { stableJson } from './config-json'
import { type DiffRow, diffCounts, foldUnchanged, lineDiff } from './line-diff'

/** What the diff compares: the version's name and config, keys in a stable order. */
const comparable = (v: { name: string; config?: unknown }) =>
	stableJson({ name: v.name, config: v.config })

export function AgentVersions({ current }: { current: Agent }) {
	const versions = useResource(
		(signal) =>
			must(
				client.GET('/v1/agents/{agentId}/versions', {
					params: { path: { agentId: current.id } },
					signal,
				}),
				signal,
			),
		[current.id, current.version],
	)
	const older = (versions.data?.versions ?? []).filter((v) => v.version !== current.version)
	const [chosen, setChosen] = useState<number | null>(null)
	const base = older.find((v) => v.version === chosen) ?? older[0]
	return (
		<section aria-labelledby="versions-title">
			<h2 id="versions-title">Version history</h2>
			<ResourceStatus resource={versions} />
			{versions.data && (
				<Table columns={['Version', 'Name', 'By', 'At']}>
					{versions.data.versions.map((v) => (
						<tr key={v.version}>
							<td class="num">
								{v.version}
								{v.version === current.version && <span class="muted"> (current)</span>}
							</td>
							<td>{v.name}</td>
							<td>
								<code>{v.actor}</code>
							</td>
							<td>
								<Time at={v.createdAt} />
							</td>
						</tr>
					))}
				</Table>
			)}
			{versions.data && older.length === 0 && <p class="muted">No earlier version to compare.</p>}
			{base && (
				<>
					<label class="field">
						<span>Compare with version</span>
						<select
							value={String(base.version)}
							onChange={(e) => setChosen(Number(e.currentTarget.value))}
						>
							{older.map((v) => (
								<option key={v.version} value={String(v.version)}>
									{v.version}
								</option>
							))}
						</select>
					</label>
					<DiffView
						title={`Changes from version ${base.version} to version ${current.version} (current)`}
						before={comparable(base)}
						after={comparable(current)}
					/>
				</>
			)}
		</section>
	)
}

export function DiffView(props: { title: string; before: string; after: string }) {
	const lines = lineDiff(props.before, props.after)
	const { added, removed } = diffCounts(lines)
	return (
		<figure class="diff">
			<figcaption>
				{props.title}: {added} {added === 1 ? 'line' : 'lines'} added, {removed}{' '}
				{removed === 1 ? 'line' : 'lines'} removed
			</figcaption>
			{added + removed === 0 ? (
				<p class="muted">No differences.</p>
			) : (
				<pre>
					{foldUnchanged(lines).map((row, i) => (
						<DiffRowView key={i} row={row} />
					))}
				</pre>
			)}
		</figure>
	)
}

function DiffRowView({ row }: { row: DiffRow }) {
	if (row.kind === 'folded') {
		return <span class="diff-line diff-folded">{`  … ${row.count} unchanged lines`}</span>
	}
	if (row.kind === 'added') {
		return (
			<ins class="diff-line">
				<span class="visually-hidden">added: </span>
				{`+ ${row.text}`}
			</ins>
		)
	}
	if (row.kind === 'removed') {
		return (
			<del class="diff-line">
				<span class="visually-hidden">removed: </span>
				{`- ${row.text}`}
			</del>
		)
	}
	return <span class="diff-line">{`  ${row.text}`}</span>
}
