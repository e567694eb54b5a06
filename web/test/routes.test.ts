// Which pages each role sees (the server still refuses what a role may not do): the actions are
// the built-in roles' (src/security/roles.ts), the filter the one the app's nav applies.
import { describe, expect, it } from 'vitest'
import { SYSTEM_POLICIES } from '../../src/security/roles'
import { PAGES } from '../src/routes'

/** The viewer's actions as the server's built-in policy grants them. */
const VIEWER = [...(SYSTEM_POLICIES.find((p) => p.id === 'role:viewer')?.actions ?? [])]

const pagesFor = (allowed: string[]) =>
	PAGES.filter((p) => !p.action || allowed.includes(p.action)).map((p) => p.label)

describe('PAGES', () => {
	it('a viewer sees the Chat page (read-only) but not Keys, Audit or Tool executions', () => {
		expect(VIEWER).toContain('sessions:read')
		const pages = pagesFor(VIEWER)
		expect(pages).toContain('Chat')
		expect(pages).toEqual(
			expect.arrayContaining(['Sessions', 'Agents', 'Approvals', 'Usage', 'Dashboard']),
		)
		for (const hidden of ['Keys', 'Audit', 'Tool executions']) expect(pages).not.toContain(hidden)
	})

	it('every page but Status needs an action, and every path is unique', () => {
		expect(PAGES.filter((p) => !p.action).map((p) => p.path)).toEqual(['/status'])
		expect(new Set(PAGES.map((p) => p.path)).size).toBe(PAGES.length)
	})

	it('every built-in role sees the Dashboard; only the Trace page is left out of the navigation', () => {
		for (const role of ['operator', 'member', 'viewer']) {
			const actions = [...(SYSTEM_POLICIES.find((p) => p.id === `role:${role}`)?.actions ?? [])]
			expect(pagesFor(actions), role).toContain('Dashboard')
		}
		expect(PAGES.filter((p) => p.linkedOnly).map((p) => p.path)).toEqual(['/trace'])
	})
})
