// Helpers for the console's component tests: a fake gateway behind `fetch`, the signed-in
// principal, and finding controls by the accessible names the pages promise.
import { render } from 'preact'
import { act } from 'preact/test-utils'
import { afterEach, beforeEach, vi } from 'vitest'
import { credentials } from '../../src/api'
import { type Me, me, type Role } from '../../src/session'

/**
 * A fresh element per test to render a page into; after each test it is unmounted and removed,
 * and the principal, the stored token, stubbed globals and spies are all undone.
 */
export function renderRoot(): () => HTMLElement {
	let root: HTMLElement | undefined
	beforeEach(() => {
		root = document.createElement('main')
		document.body.append(root)
	})
	afterEach(() => {
		if (root) render(null, root)
		root?.remove()
		me.value = null
		credentials.signOut()
		vi.unstubAllGlobals()
		vi.restoreAllMocks()
	})
	return () => {
		if (!root) throw new Error('renderRoot() is used inside a test')
		return root
	}
}

export interface Call {
	method: string
	path: string
	query: URLSearchParams
	headers: Record<string, string>
	body: unknown
}

type Answer = { status?: number; body?: unknown; headers?: Record<string, string> }
export type Routes = Record<string, (call: Call) => Answer>

/**
 * Stubs `fetch` with routes keyed `"METHOD /path"`; every call is recorded, an unknown one is a 404.
 * The app's API client hands fetch one same-origin `Request`; anything else is refused.
 */
export function fakeGateway(routes: Routes): Call[] {
	const calls: Call[] = []
	vi.stubGlobal('fetch', async (input: unknown, init?: unknown) => {
		if (!(input instanceof Request) || init !== undefined) {
			throw new Error('fetch was called without a Request: not through the API client')
		}
		const url = new URL(input.url)
		if (url.origin !== location.origin) throw new Error(`fetch of another origin: ${input.url}`)
		const text = await input.text()
		const call: Call = {
			method: input.method,
			path: url.pathname,
			query: url.searchParams,
			headers: Object.fromEntries(input.headers),
			body: text ? JSON.parse(text) : undefined,
		}
		calls.push(call)
		const route = routes[`${call.method} ${call.path}`]
		const answer = route
			? route(call)
			: { status: 404, body: { code: 'not_found', detail: 'no route' } }
		const status = answer.status ?? 200
		const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {})
		return new Response(status === 204 ? null : body, {
			status,
			headers: { 'content-type': 'application/json', ...answer.headers },
		})
	})
	return calls
}

export function signInAs(role: Role, allowed: string[]): void {
	const who: Me = {
		principal: { kind: 'api-key', id: 'k1', role, tenantId: 'acme', scopes: [] },
		via: 'token',
		allowed,
	}
	me.value = who
}

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim()

export function buttons(root: ParentNode, name: string): HTMLButtonElement[] {
	return [...root.querySelectorAll('button')].filter((b) => text(b) === name)
}

export function button(root: ParentNode, name: string): HTMLButtonElement {
	const found = buttons(root, name)
	if (found.length !== 1) throw new Error(`expected one button "${name}", found ${found.length}`)
	return found[0] as HTMLButtonElement
}

/** The control a <label> names: by `for`, or the control inside it. */
export function labelled<T extends HTMLElement = HTMLInputElement>(
	root: ParentNode,
	name: string,
): T {
	for (const label of root.querySelectorAll('label')) {
		const own = label.querySelector(':scope > span')
		if ((own ? text(own) : text(label)) !== name) continue
		const control = label.htmlFor
			? (label.ownerDocument.getElementById(label.htmlFor) as T | null)
			: label.querySelector<T>('input, select, textarea')
		if (control) return control
	}
	throw new Error(`no control labelled "${name}"`)
}

/** Types into an input or textarea the way a person does: value, then an input event. */
// Each event inside act(): the page re-renders before the next one, as between a person's keystrokes.
export function type(control: HTMLInputElement | HTMLTextAreaElement, value: string): void {
	act(() => {
		control.value = value
		control.dispatchEvent(new Event('input', { bubbles: true }))
	})
}

export function choose(select: HTMLSelectElement, value: string): void {
	act(() => {
		select.value = value
		select.dispatchEvent(new Event('change', { bubbles: true }))
	})
}

export function click(element: HTMLElement): void {
	act(() => element.click())
}
