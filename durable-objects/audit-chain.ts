// AuditChain: one per tenant. Every audit append of the tenant goes through it, one at a time, so
// the tenant's hash chain has a single writer: the head (seq, hash) stays in memory and each
// append is one D1 insert. Should a row appear behind its back (another writer), the insert
// conflicts, the head is re-read and the append retried — the chain still cannot fork.
import { DurableObject } from 'cloudflare:workers'
import { chainHead, insertRow } from '../src/db/audit'
import { database } from '../src/db/client'
import { type AuditEvent, type AuditRow, type ChainHead, nextRow } from '../src/security/audit'

export class AuditChain extends DurableObject<Env> {
	#head: ChainHead | undefined
	#chain: Promise<unknown> = Promise.resolve()

	/** Appends in arrival order; resolves with the stored row. */
	append(event: AuditEvent): Promise<AuditRow> {
		const next = this.#chain.then(() => this.#append(event))
		this.#chain = next.catch(() => {})
		return next
	}

	async #append(event: AuditEvent): Promise<AuditRow> {
		const db = database(this.env.DB)
		for (let attempt = 0; attempt < 5; attempt++) {
			this.#head ??= await chainHead(db, event.tenantId)
			const row = await nextRow(this.#head, event, Date.now())
			if (await insertRow(db, row)) {
				this.#head = { seq: row.seq, hash: row.hash }
				return row
			}
			this.#head = undefined
		}
		throw new Error('audit chain head keeps moving: another writer is appending')
	}
}
