// A page to render chat components into: its URL, who is signed in, and the cleanup after.
import { render } from 'preact'
import { vi } from 'vitest'
import { credentials } from '../../src/api'
import { me } from '../../src/session'

export const TOKEN = 'ek_k1_secret'

/** Sets the page URL, signs in with TOKEN allowed to do `allowed`, returns an empty mount point. */
export function openPage(url: string, allowed: string[]): HTMLElement {
	;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url)
	credentials.signIn(TOKEN)
	signInAs(allowed)
	const root = document.createElement('div')
	document.body.append(root)
	return root
}

export function signInAs(allowed: string[]): void {
	me.value = {
		principal: { kind: 'api-key', id: 'k1', role: 'member', tenantId: 'default', scopes: [] },
		via: 'token',
		allowed,
	}
}

export function closePage(root: HTMLElement): void {
	render(null, root)
	root.remove()
	vi.unstubAllGlobals()
	credentials.signOut()
	me.value = null
}
