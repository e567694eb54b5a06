// Debian Chromium through playwright-core, for the browser tests (test/browser) and the bench's `web`
// phase: one way to launch it (never a downloaded browser) and one way to sign in to the web app,
// by the accessible names of the UI contract (docs/web.md).
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'

/** `CHROMIUM_PATH`, else the Debian package's binary (`apt-get install chromium`). */
export const chromiumPath = () => process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Headless, no sandbox (CI runs as root), no GPU, and no traffic of the browser's own. */
export const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
]

/** @returns {Promise<import('playwright-core').Browser>} */
export async function launchChromium() {
	const executablePath = chromiumPath()
	if (!existsSync(executablePath))
		throw new Error(
			`No Chromium at ${executablePath}: install Debian's (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`,
		)
	return chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}

/**
 * Signs in on the form the app shows to a signed-out visitor of `url` (label "Token", button
 * "Sign in"), and waits until the header says who is signed in.
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @param {string} token
 * @returns {Promise<{ tenant: string, role: string }>}
 */
export async function signIn(page, url, token) {
	await page.goto(url)
	await page.getByLabel('Token', { exact: true }).fill(token)
	await page.getByRole('button', { name: 'Sign in', exact: true }).click()
	const tenant = page.getByTestId('tenant')
	const refused = page.getByRole('alert')
	await tenant.or(refused).first().waitFor()
	if (!(await tenant.isVisible()))
		throw new Error(`sign-in refused: ${(await refused.first().textContent())?.trim()}`)
	return {
		tenant: (await tenant.textContent()) ?? '',
		role: (await page.getByTestId('role').textContent()) ?? '',
	}
}
