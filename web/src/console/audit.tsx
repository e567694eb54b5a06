// Audit page: the tenant's hash-chained audit log, newest first, filtered and paged by cursor; and
// "Verify chain", which walks the chain and names the first broken row.
import { useState } from 'preact/hooks'
import { client, must, type Schemas } from '../api'
import { useAction } from '../ui/action'
import { Filters } from '../ui/filters'
import { ErrorNotice, Page, Time } from '../ui/kit'
import { ListStatus, LoadMore, usePaged } from '../ui/paged'
import { Table } from '../ui/table'
import { type AuditFilters, auditQuery, NO_FILTERS, type Outcome } from './audit-query'

type AuditEntry = Schemas['AuditEntry']

/** `GET /v1/audit/verify`. */
export type ChainVerification = Schemas['AuditVerification']

export function AuditPage() {
	const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS)
	const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS)
	const entries = usePaged<AuditEntry, number>(
		(cursor, signal) =>
			must(
				client.GET('/v1/audit', { params: { query: auditQuery(filters, cursor) }, signal }),
				signal,
			).then((r) => ({ items: r.entries, next: r.nextCursor })),
		[filters],
	)
	const verify = useAction()
	const [verification, setVerification] = useState<ChainVerification | null>(null)
	const runVerify = async () => {
		setVerification(null)
		const result = await verify.run(() => must(client.GET('/v1/audit/verify')))
		if (result) setVerification(result)
	}
	const text = (name: 'action' | 'actor' | 'from' | 'to') => ({
		value: draft[name],
		onInput: (e: { currentTarget: HTMLInputElement }) =>
			setDraft({ ...draft, [name]: e.currentTarget.value }),
	})
	return (
		<Page
			title="Audit"
			actions={
				<button type="button" disabled={verify.busy} onClick={runVerify}>
					Verify chain
				</button>
			}
		>
			<ErrorNotice error={verify.error} />
			{verify.busy && <p role="status">Verifying…</p>}
			{verification && <VerificationResult result={verification} />}
			<Filters label="Filters" apply="Apply filters" onApply={() => setFilters(draft)}>
				<label class="field">
					<span>Action</span>
					<input placeholder="key.created" {...text('action')} />
				</label>
				<label class="field">
					<span>Actor</span>
					<input placeholder="key:…" {...text('actor')} />
				</label>
				<label class="field">
					<span>Outcome</span>
					<select
						value={draft.outcome}
						onChange={(e) => setDraft({ ...draft, outcome: e.currentTarget.value as Outcome | '' })}
					>
						<option value="">Any</option>
						<option value="success">success</option>
						<option value="failure">failure</option>
						<option value="deny">deny</option>
					</select>
				</label>
				<label class="field">
					<span>From</span>
					<input type="datetime-local" {...text('from')} />
				</label>
				<label class="field">
					<span>To</span>
					<input type="datetime-local" {...text('to')} />
				</label>
			</Filters>
			<ErrorNotice error={entries.error} />
			{entries.items.length > 0 && (
				<Table columns={['Seq', 'Time', 'Actor', 'Action', 'Target', 'Outcome', 'Request', 'Data']}>
					{entries.items.map((e) => {
						const broken = verification?.brokenAt === e.seq
						return (
							<tr key={e.seq} id={`audit-${e.seq}`} class={broken ? 'broken' : undefined}>
								<td class="num">
									{e.seq}
									{broken && <strong> (broken)</strong>}
								</td>
								<td>
									<Time at={e.ts} />
								</td>
								<td>
									<code>{e.actor}</code>
								</td>
								<td>{e.action}</td>
								<td>{e.target ? <code>{e.target}</code> : '—'}</td>
								<td>
									<span class={`status status-${e.outcome}`}>{e.outcome}</span>
								</td>
								<td>{e.requestId ? <code>{e.requestId}</code> : '—'}</td>
								<td>
									{Object.keys(e.data).length > 0 && (
										<details>
											<summary>Data</summary>
											<pre class="cell-pre">{JSON.stringify(e.data, null, 2)}</pre>
										</details>
									)}
								</td>
							</tr>
						)
					})}
				</Table>
			)}
			<ListStatus list={entries} empty="No audit entries match." />
			<LoadMore list={entries} />
		</Page>
	)
}

function VerificationResult({ result }: { result: ChainVerification }) {
	return (
		<div class="verification">
			{result.ok ? (
				<p role="status" class="ok">
					Chain intact: {result.rows} rows verified
					{result.head && ` up to seq ${result.head.seq}`}.
				</p>
			) : (
				<div role="alert" class="error">
					<strong>Chain broken</strong>
					{result.brokenAt !== undefined && (
						<>
							{' '}
							at row <a href={`#audit-${result.brokenAt}`}>seq {result.brokenAt}</a>
						</>
					)}
					{result.reason && `: ${result.reason}`}. {result.rows} rows verified before it.
				</div>
			)}
			<p class="muted">
				{result.keyId ? `Audit key ${result.keyId}` : 'No audit key'}; {result.unkeyedRows} rows
				without a key.
			</p>
			{result.warnings.length > 0 && (
				<ul class="warnings" aria-label="Warnings">
					{result.warnings.map((w) => (
						<li key={w}>{w}</li>
					))}
				</ul>
			)}
		</div>
	)
}
