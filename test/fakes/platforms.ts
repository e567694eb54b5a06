// Fake chat platforms for end-to-end channel tests inside workerd: the Worker, its lanes and the
// test share one isolate, so replacing the global fetch catches every request a channel sends to
// a host under `.platform.test` (channels point their `apiBase`/`callbackUrl` there). Requests are
// recorded; answers are scripted per path (default: the platform's plain success), in order.
import { vi } from 'vitest'

export interface PlatformCall {
	url: URL
	method: string
	headers: Headers
	body: string
	/** The body as JSON, or undefined when it is not JSON. */
	json: Record<string, unknown> | undefined
}

type Answer = Response | Error | ((call: PlatformCall) => Response | Promise<Response>)

const where = (url: URL): string => `${url.hostname}${url.pathname}`

const success = (url: URL): Response =>
	Response.json(
		url.hostname.startsWith('slack')
			? { ok: true, ts: '1.0' }
			: { ok: true, result: { message_id: 1 } },
	)

export class FakePlatforms {
	readonly calls: PlatformCall[] = []
	readonly #scripts: { match: (url: URL) => boolean; answers: Answer[] }[] = []
	readonly #held: { match: (url: URL) => boolean; release: Promise<void> }[] = []
	#waiting = 0

	/** Requests waiting at a hold now. */
	get waiting(): number {
		return this.#waiting
	}

	/** Installs the fake for the rest of the test file; there is no restore (call it once per file). */
	static install(): FakePlatforms {
		const fake = new FakePlatforms()
		const real = globalThis.fetch
		vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
			const request = new Request(input as RequestInfo, init)
			const url = new URL(request.url)
			if (!url.hostname.endsWith('.platform.test')) return real(input as RequestInfo, init)
			return fake.#serve(request, url)
		})
		return fake
	}

	/**
	 * Answers the next requests whose host + path contains `path` with `answers`, in order
	 * (`/sendMessage`, or `slack-1.platform.test/api/chat.postMessage` for one host only).
	 */
	script(path: string, ...answers: Answer[]): void {
		this.#scripts.push({ match: (url) => where(url).includes(path), answers })
	}

	/**
	 * Holds requests whose host + path contains `path` until the returned function is called;
	 * then the hold is gone, so a later `hold` of the same path holds again.
	 */
	hold(path: string): () => void {
		let open = () => {}
		const held = {
			match: (url: URL) => where(url).includes(path),
			release: new Promise<void>((r) => {
				open = r
			}),
		}
		this.#held.push(held)
		return () => {
			const at = this.#held.indexOf(held)
			if (at >= 0) this.#held.splice(at, 1)
			open()
		}
	}

	/** Calls whose path contains `path` (e.g. `/sendMessage`), optionally only with a `where` body. */
	sent(
		path: string,
		where: (json: Record<string, unknown>) => boolean = () => true,
	): PlatformCall[] {
		return this.calls.filter(
			(c) => c.url.pathname.includes(path) && c.json !== undefined && where(c.json),
		)
	}

	async #serve(request: Request, url: URL): Promise<Response> {
		const body = await request.text()
		let json: Record<string, unknown> | undefined
		try {
			json = JSON.parse(body) as Record<string, unknown>
		} catch {}
		const call = { url, method: request.method, headers: request.headers, body, json }
		const held = this.#held.find((h) => h.match(url))
		if (held) {
			this.#waiting++
			await held.release
			this.#waiting--
		}
		this.calls.push(call)
		const script = this.#scripts.find((s) => s.match(url) && s.answers.length > 0)
		const answer = script?.answers.shift()
		if (answer === undefined) return success(url)
		if (answer instanceof Error) throw answer
		return typeof answer === 'function' ? answer(call) : answer
	}
}
