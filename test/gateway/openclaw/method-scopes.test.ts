// Every method this gateway serves needs the scope OpenClaw's protocol gives it (its published
// `methods` table), except where edgeclaw's own policies decide instead (docs/protocols.md), and
// refuses params that are not an object.
import { describe, expect, it } from 'vitest'
import protocol from '../../../node_modules/@openclaw/gateway-protocol/protocol.schema.json'
import { METHODS } from '../../../src/gateway/openclaw/methods/index'

const published = protocol.methods as Record<string, { scope: string }>

/**
 * Where edgeclaw asks another scope than the protocol: OpenClaw's `dynamic` scopes depend on the
 * params (a write here), and `sessions.reset` is decided by edgeclaw's policies, not
 * `operator.admin` (docs/protocols.md).
 */
const DEVIATIONS: Record<string, string> = {
	agent: 'operator.write',
	'sessions.delete': 'operator.write',
	'sessions.reset': 'operator.write',
}

describe('method scopes', () => {
	it('every served method is one of the protocol’s, with its scope', () => {
		for (const [name, m] of METHODS) {
			expect(published[name], `${name} is not a protocol method`).toBeDefined()
			expect(m.scope, name).toBe(DEVIATIONS[name] ?? published[name]?.scope)
		}
	})

	it('every method refuses params that are not an object (INVALID_REQUEST, never a crash)', () => {
		for (const [name, m] of METHODS) {
			for (const bad of ['x', 42, [], null]) {
				expect(m.params.safeParse(bad).success, `${name} ${JSON.stringify(bad)}`).toBe(false)
			}
		}
	})
})
