// Audit rows and trace ids: a row's trace id is part of its hash only when it has one, so rows
// written before traces (no trace id) hash exactly as they did, and a traced row's trace id cannot
// be changed without breaking its hash.
import { describe, expect, it } from 'vitest'
import {
	type AuditRow,
	canonicalJson,
	GENESIS_HASH,
	hashedText,
	nextRow,
	rowHashHolds,
} from '../../src/security/audit'

const EVENT = {
	tenantId: 't',
	actor: 'admin-token',
	action: 'agent.created',
	outcome: 'success' as const,
}

describe('audit rows with trace ids', () => {
	it('hashes an untraced row as before traces existed', async () => {
		const row = await nextRow({ seq: 0, hash: GENESIS_HASH }, EVENT, 1_000)
		expect(row.traceId).toBeNull()
		const { hash: _, ...body } = row
		// The formula of rows before traces: prev hash, then the row without hashes or key id.
		const { prevHash, keyId: __, traceId: ___, ...before } = body
		expect(hashedText(body)).toBe(prevHash + canonicalJson(before))
		expect(await rowHashHolds(row)).toBe(true)
	})

	it("binds a traced row's trace id into its hash", async () => {
		const trace = '0af7651916cd43dd8448eb211c80319c'
		const row = await nextRow({ seq: 0, hash: GENESIS_HASH }, { ...EVENT, traceId: trace }, 1_000)
		expect(row.traceId).toBe(trace)
		const { hash: _, ...body } = row
		expect(hashedText(body)).toContain(`"traceId":"${trace}"`)
		expect(await rowHashHolds(row)).toBe(true)
		const forged: AuditRow = { ...row, traceId: 'ffffffffffffffffffffffffffffffff' }
		expect(await rowHashHolds(forged)).toBe(false)
		expect(await rowHashHolds({ ...row, traceId: null })).toBe(false)
	})
})
