// Who may talk through one channel, and what it failed to say: pending pairing codes (approved
// with `channels:pair`), the senders pairing admitted (removed in two steps), and the dead letters.
import { client, must, type paths, type Schemas } from '../api'
import { can } from '../session'
import { useAction } from '../ui/action'
import { ConfirmButton } from '../ui/confirm-button'
import { ErrorNotice, Time, useResource } from '../ui/kit'
import { ResourceStatus, Table } from '../ui/table'

/** `GET /v1/channels/{id}/pairing`. */
export type PairingState =
	paths['/v1/channels/{channelId}/pairing']['get']['responses'][200]['content']['application/json']

/** A row of `GET /v1/channels/{id}/deliveries` (a reply given up on). */
export type DeadLetter = Schemas['FailedDelivery']

const orNone = (name: string | null) => name ?? <span class="muted">—</span>

export function Pairing({ channelId }: { channelId: string }) {
	const pairing = useResource(
		(signal) =>
			must(
				client.GET('/v1/channels/{channelId}/pairing', {
					params: { path: { channelId } },
					signal,
				}),
				signal,
			),
		[channelId],
	)
	const action = useAction()
	const act = async (work: () => Promise<unknown>) => {
		await action.run(work)
		pairing.reload()
	}
	const mayPair = can('channels:pair')
	const pending = pairing.data?.pending ?? []
	const admitted = pairing.data?.admitted ?? []
	return (
		<section class="channel-access" aria-labelledby="pairing-title">
			<h2 id="pairing-title">Pairing</h2>
			<ErrorNotice error={action.error} />
			<ResourceStatus resource={pairing} />
			{pairing.data && pending.length === 0 && <p class="muted">No pairing codes waiting.</p>}
			{pending.length > 0 && (
				<Table
					caption="Waiting for approval"
					columns={['Code', 'Sender', 'Name', 'Asked', 'Expires', mayPair && 'Actions']}
				>
					{pending.map((p) => (
						<tr key={p.code}>
							<td id={`code-${p.code}`}>
								<code>{p.code}</code>
							</td>
							<td>
								<code>{p.senderId}</code>
							</td>
							<td>{orNone(p.senderName)}</td>
							<td>
								<Time at={p.createdAt} />
							</td>
							<td>
								<Time at={p.expiresAt} />
							</td>
							{mayPair && (
								<td>
									<button
										type="button"
										disabled={action.busy}
										aria-describedby={`code-${p.code}`}
										onClick={() =>
											act(() =>
												must(
													client.POST('/v1/channels/{channelId}/pairing/{code}/approve', {
														params: { path: { channelId, code: p.code } },
													}),
												),
											)
										}
									>
										Approve
									</button>
								</td>
							)}
						</tr>
					))}
				</Table>
			)}
			{admitted.length > 0 && (
				<Table
					caption="Admitted by pairing"
					columns={['Sender', 'Name', 'Added by', 'Added', mayPair && 'Actions']}
				>
					{admitted.map((a, i) => (
						<tr key={a.senderId}>
							<td id={`admitted-${i}`}>
								<code>{a.senderId}</code>
							</td>
							<td>{orNone(a.name)}</td>
							<td>{a.addedBy}</td>
							<td>
								<Time at={a.createdAt} />
							</td>
							{mayPair && (
								<td>
									<ConfirmButton
										label="Remove"
										disabled={action.busy}
										describedBy={`admitted-${i}`}
										onConfirm={() =>
											act(() =>
												must(
													client.DELETE('/v1/channels/{channelId}/allowlist/{senderId}', {
														params: { path: { channelId, senderId: a.senderId } },
													}),
												),
											)
										}
									/>
								</td>
							)}
						</tr>
					))}
				</Table>
			)}
		</section>
	)
}

export function DeadLetters({ channelId }: { channelId: string }) {
	const letters = useResource(
		(signal) =>
			must(
				client.GET('/v1/channels/{channelId}/deliveries', {
					params: { path: { channelId }, query: { status: 'failed' } },
					signal,
				}),
				signal,
			)
				// The server answers newest first; kept so whatever the order it sends.
				.then((r) => [...r.deliveries].sort((a, b) => b.failedAt.localeCompare(a.failedAt))),
		[channelId],
	)
	const list = letters.data ?? []
	return (
		<section class="channel-access" aria-labelledby="dead-letters-title">
			<h2 id="dead-letters-title">Dead letters</h2>
			<ResourceStatus
				resource={letters}
				empty={list.length === 0 && 'Every reply was delivered.'}
			/>
			{list.length > 0 && (
				<Table columns={['Failed', 'Agent', 'Session', 'Kind', 'Part', 'Attempts', 'Error']}>
					{list.map((d) => (
						<tr key={d.deliveryId}>
							<td>
								<Time at={d.failedAt} />
							</td>
							<td>{d.agent}</td>
							<td>
								<code>{d.sessionKey}</code>
							</td>
							<td>{d.kind}</td>
							<td class="num">
								{d.part}/{d.parts}
							</td>
							<td class="num">{d.attempts}</td>
							<td class="wrap">{d.error}</td>
						</tr>
					))}
				</Table>
			)}
		</section>
	)
}
