// The app hides what a role may not do (the server still refuses it): a viewer reads the chat but
// cannot send in it, and cannot manage keys; an operator may list keys but not create, revoke or
// rotate them. Nav links are named by the page labels of web/src/routes.tsx.
import type { Page } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { signInAt, useBrowser } from './browser.js'

const viewerKey = inject('viewerKey')
const operatorKey = inject('operatorKey')
const browser = useBrowser()

const nav = (page: Page) => page.getByRole('navigation', { name: 'Pages' })
const keyActions = (page: Page) =>
	page.getByRole('button', { name: /^(Create key|Revoke|Rotate)$/ })

describe('roles in the UI', () => {
	it('a viewer: the Chat page read-only, no Keys page, no key actions even at /keys', async () => {
		const app = await browser.open()
		const who = await signInAt(app, '/', viewerKey)
		expect(who.role).toBe('viewer')
		// The pages a viewer may read are there; the ones it may not use are not.
		await nav(app.page).getByRole('link', { name: 'Sessions', exact: true }).waitFor()
		await nav(app.page).getByRole('link', { name: 'Usage', exact: true }).waitFor()
		await nav(app.page).getByRole('link', { name: 'Chat', exact: true }).waitFor()
		expect(await nav(app.page).getByRole('link', { name: 'Keys', exact: true }).count()).toBe(0)

		await app.page.goto('/keys')
		await app.page.getByTestId('role').waitFor()
		await app.page.getByRole('heading', { level: 1 }).first().waitFor()
		expect(await keyActions(app.page).count()).toBe(0)
		await app.page.goto('/chat?agent=main')
		await app.page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor()
		// The session is open (its transcript shown once it loaded), the composer is not.
		await app.page.getByRole('combobox', { name: 'Session' }).waitFor()
		await app.page.getByRole('log', { name: 'Transcript' }).waitFor()
		expect(await app.page.getByRole('button', { name: 'Send', exact: true }).count()).toBe(0)
		expect(await app.page.getByRole('textbox', { name: 'Message' }).count()).toBe(0)
		expect(await app.page.getByRole('button', { name: 'Stop', exact: true }).count()).toBe(0)
	})

	it('an operator: the Keys page lists keys, without Create key, Revoke or Rotate', async () => {
		const app = await browser.open()
		const who = await signInAt(app, '/', operatorKey)
		expect(who.role).toBe('operator')
		await nav(app.page).getByRole('link', { name: 'Keys', exact: true }).click()
		await app.page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor()
		// The keys the setup made are listed (so the rows, and any buttons in them, are rendered).
		await app.page.getByText('contract viewer', { exact: true }).waitFor()
		await app.page.getByText('contract operator', { exact: true }).waitFor()
		expect(await keyActions(app.page).count()).toBe(0)
	})
})
