// The `web` phase: what the web app costs the person in front of it.
//   payload   the gzip size of every JS and CSS file the app ships (dist/web/assets; built first
//             when missing) against the 150 KiB budget — over it, the phase fails. The API
//             reference's own files (those only /docs loads, docs.html) are listed apart: they are
//             not the app's, and a reader of the app never downloads them
//   web.ttft  from the click on "Send" to the answer's first streamed token in the transcript's DOM,
//             in Debian Chromium (both instants taken in the page) — against ws.ttft, the same turn
//             over a raw WebSocket client (Node's WebSocket on the session's stream: POST the
//             message, first `delta` frame). Alternating turn by turn in the same run, each waiting
//             for its answer to end; goal: web ≤ 1.2 × ws + 20 ms.
/// <reference lib="dom" />
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { gzipSync } from 'node:zlib'
import { launchChromium, signIn } from './chromium.mjs'
import { grid, latencyResult, opened, runCommand, table } from './lib.mjs'
import { RunBook } from './protocols.mjs'

/** All JS + CSS of the app, gzip (the budget). */
export const UI_BUDGET_KIB = 150
/** web.ttft ≤ SLOPE × ws.ttft + ALLOWANCE_MS */
export const TTFT_SLOPE = 1.2
export const TTFT_ALLOWANCE_MS = 20

/**
 * @typedef {{ file: string, bytes: number, gzip: number }} AssetSize
 * @typedef {{ files: AssetSize[], reference: AssetSize[], gzipKiB: number, budgetKiB: number, ok: boolean }} Payload
 * @typedef {import('./lib.mjs').Result} Result
 * @typedef {{ results: Result[], p50Limit: number, p99Limit: number, rounds: number }} Ttft
 * @typedef {{ payload: Payload, ttft: Ttft }} WebResult
 */

/**
 * The whole phase: the payload, then the first token (turns with the agent `main`; `--quick`: fewer).
 * @param {{ root: string, url: string, key: string, quick: boolean }} o
 * @returns {Promise<WebResult>}
 */
export async function webPhase(o) {
	const payload = uiPayload(o.root)
	const turns = o.quick ? { rounds: 10, warmup: 2 } : { rounds: 60, warmup: 5 }
	const ttft = await webTtftScenario({ url: o.url, token: o.key, agent: 'main', ...turns })
	return { payload, ttft }
}

/** The phase's tables and verdicts, as the bench prints them. @param {WebResult} web */
export function webReport({ payload, ttft }) {
	return [
		'\nweb: the UI payload, every JS and CSS file of dist/web/assets\n',
		payloadTable(payload),
		`\nweb: "Send" clicked → first streamed token in the DOM, Chromium (web.ttft) against a raw WebSocket client (ws.ttft), alternating, ${ttft.rounds} each (ms)\n`,
		table(ttft.results),
		ttftVerdict(ttft),
	].join('\n')
}

/** What went wrong in the phase (an over-budget payload is said loudly too). @param {WebResult} web */
export function webFailures({ payload, ttft }) {
	const failed = ttft.results.some((r) => r.errors > 0) ? ['web.ttft'] : []
	if (!payload.ok) {
		console.error(
			`\nTHE WEB APP IS OVER ITS BUDGET: ${payload.gzipKiB.toFixed(1)} KiB gzip of JS + CSS, the budget is ${payload.budgetKiB} KiB`,
		)
		failed.push('web payload')
	}
	return failed
}

/**
 * Builds the app from web/ — always, so the bench never measures or serves a stale build; run.mjs
 * calls it before it starts anything, as wrangler needs dist/web to exist.
 * @param {string} root the repository
 */
export function buildWeb(root) {
	runCommand('vite', ['build', '-c', 'web/vite.config.ts', '--logLevel', 'warn'], root)
}

/** The `/assets/…` files an HTML page of the build references. @param {string} html */
const assetsOf = (html) => new Set([...html.matchAll(/\/assets\/([^"'\s>]+)/g)].map((m) => m[1]))

/**
 * The gzip size of every JS and CSS file in dist/web/assets (built by `buildWeb`): the app's
 * against the budget, and apart from them the files only the API reference page (docs.html) loads.
 * @param {string} root the repository
 * @returns {Payload}
 */
export function uiPayload(root) {
	const dist = join(root, 'dist', 'web')
	const assets = join(dist, 'assets')
	const page = (/** @type {string} */ name) => {
		try {
			return assetsOf(readFileSync(join(dist, name), 'utf8'))
		} catch {
			return new Set()
		}
	}
	const app = page('index.html')
	const docsOnly = new Set([...page('docs.html')].filter((name) => !app.has(name)))
	const sized = readdirSync(assets)
		.filter((name) => /\.(js|css)$/.test(name))
		.sort()
		.map((name) => {
			const bytes = readFileSync(join(assets, name))
			return { file: `assets/${name}`, bytes: bytes.length, gzip: gzipSync(bytes).length, name }
		})
	const files = sized.filter((f) => !docsOnly.has(f.name)).map(({ name, ...f }) => f)
	const reference = sized.filter((f) => docsOnly.has(f.name)).map(({ name, ...f }) => f)
	const gzipKiB = files.reduce((sum, f) => sum + f.gzip, 0) / 1024
	return {
		files,
		reference,
		gzipKiB,
		budgetKiB: UI_BUDGET_KIB,
		ok: files.length > 0 && gzipKiB <= UI_BUDGET_KIB,
	}
}

/** @param {Payload} p */
function payloadTable(p) {
	const kib = (/** @type {number} */ n) => (n / 1024).toFixed(1)
	const rows = p.files.map((f) => [f.file, kib(f.bytes), kib(f.gzip)])
	const total = p.files.reduce((sum, f) => sum + f.bytes, 0)
	rows.push(['all JS + CSS', kib(total), p.gzipKiB.toFixed(1)])
	for (const f of p.reference) rows.push([`${f.file} (/docs only)`, kib(f.bytes), kib(f.gzip)])
	return `${grid(['file', 'KiB', 'gzip KiB'], rows)}\nbudget ${p.budgetKiB} KiB gzip (the app's files): ${p.ok ? 'ok' : 'OVER'}`
}

/**
 * Times the first token of `rounds` turns in the browser and as many over a raw WebSocket.
 * @param {{ url: string, token: string, agent: string, rounds: number, warmup: number }} o
 *   `token` signs in to the app and authenticates the raw client alike
 * @returns {Promise<Ttft>}
 */
async function webTtftScenario(o) {
	const raw = await rawClient(o, `bench-web-ws-${Date.now()}`)
	const browser = await launchChromium()
	try {
		const ui = await browserClient(browser, o, `bench-web-ui-${Date.now()}`)
		/** @type {{ web: number[], ws: number[] }} */
		const samples = { web: [], ws: [] }
		const errors = { web: 0, ws: 0 }
		for (let i = 0; i < o.warmup + o.rounds; i++) {
			for (const [name, turn] of /** @type {const} */ ([
				['web', ui.turn],
				['ws', raw.turn],
			])) {
				const ms = await turn(`${name} ${i}`).catch(() => null)
				if (i < o.warmup) continue
				if (ms === null) errors[name]++
				else samples[name].push(ms)
			}
		}
		const ws = latencyResult({ name: 'ws.ttft' }, samples.ws, errors.ws)
		const web = latencyResult({ name: 'web.ttft', baseline: 'ws.ttft' }, samples.web, errors.web)
		return {
			results: [ws, web],
			p50Limit: TTFT_SLOPE * ws.p50 + TTFT_ALLOWANCE_MS,
			p99Limit: TTFT_SLOPE * ws.p99 + TTFT_ALLOWANCE_MS,
			rounds: o.rounds,
		}
	} finally {
		raw.close()
		await browser.close()
	}
}

/**
 * A raw client: the session's WebSocket (subprotocol auth, as the app does) and a POST per turn.
 * @param {{ url: string, token: string, agent: string }} o
 * @param {string} session
 */
async function rawClient(o, session) {
	const headers = { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' }
	const path = `${o.url}/v1/sessions/${session}`
	const post = (/** @type {string} */ content, wait = false) =>
		fetch(`${path}/messages?agent=${o.agent}`, {
			method: 'POST',
			headers,
			body: JSON.stringify({ content, wait }),
		})
	// The stream of an unknown session is a 404: one turn creates it.
	const first = await post('hello', true)
	if (!first.ok) throw new Error(`web: first raw turn ${first.status} ${await first.text()}`)
	const book = new RunBook()
	const ws = new WebSocket(`${path.replace(/^http/, 'ws')}/ws?agent=${o.agent}&after=1000000000`, [
		'edgeclaw',
		`bearer.${o.token}`,
	])
	await opened(ws)
	ws.addEventListener('message', (m) => {
		const e = JSON.parse(String(m.data))
		if (e.type === 'delta' || e.type === 'final') book.seen(e.runId, e.type)
	})
	return {
		/** @param {string} text @returns {Promise<number>} */
		async turn(text) {
			const t0 = performance.now()
			const res = await post(text)
			const { runId } = /** @type {{ runId: string }} */ (await res.json())
			const r = await book.final(runId)
			if (r.delta === undefined) throw new Error(`web: run ${runId} streamed no delta`)
			return r.delta - t0
		},
		close: () => ws.close(),
	}
}

/**
 * Watches the transcript from inside the page: the click on "Send" (capture phase, before the app's
 * own handler) starts the clock; the first mutation that adds a rendered answer stops it.
 * Runs in the page (CDP evaluation, not subject to the page's CSP).
 */
function installProbe() {
	const log = document.querySelector('[role="log"][aria-label="Transcript"]')
	if (!log) throw new Error('no transcript (role=log, "Transcript") on the page')
	const answers = () =>
		[...log.querySelectorAll('.markdown')].filter((m) =>
			(m.textContent ?? '').trimStart().startsWith('echo'),
		).length
	const probe = { t0: 0, t1: 0, before: 0 }
	document.addEventListener(
		'click',
		(e) => {
			const button = e.target instanceof Element ? e.target.closest('button') : null
			if (button?.textContent?.trim() !== 'Send') return
			Object.assign(probe, { t0: performance.now(), t1: 0, before: answers() })
		},
		true,
	)
	new MutationObserver(() => {
		if (probe.t0 && !probe.t1 && answers() > probe.before) probe.t1 = performance.now()
	}).observe(log, { childList: true, subtree: true, characterData: true })
	Object.defineProperty(window, '__benchProbe', { value: probe })
}

/**
 * The app in Chromium, signed in, on the chat page of a fresh session.
 * @param {import('playwright-core').Browser} browser
 * @param {{ url: string, token: string, agent: string }} o
 * @param {string} session
 */
async function browserClient(browser, o, session) {
	const page = await browser.newPage()
	page.setDefaultTimeout(30_000)
	await signIn(page, `${o.url}/chat?agent=${o.agent}&session=${session}`, o.token)
	const message = page.getByRole('textbox', { name: 'Message' })
	const send = page.getByRole('button', { name: 'Send', exact: true })
	const transcript = page.getByRole('log', { name: 'Transcript' })
	/** @param {string} text */
	const answered = (text) =>
		transcript.locator('.markdown').getByText(`echo: ${text}`, { exact: true }).waitFor()
	// The first turn creates the session and opens its socket; the probe watches from then on.
	await message.fill('hello')
	await send.click()
	await answered('hello')
	await page
		.getByRole('status')
		.filter({ hasText: /^Live$/ })
		.waitFor()
	await page.evaluate(installProbe)
	return {
		/** @param {string} text @returns {Promise<number>} */
		async turn(text) {
			await message.fill(text)
			await send.click()
			await answered(text)
			const ms = await page.evaluate(() => {
				const p = /** @type {{ __benchProbe: { t0: number, t1: number } }} */ (
					/** @type {unknown} */ (window)
				).__benchProbe
				return p.t1 > p.t0 ? p.t1 - p.t0 : null
			})
			if (ms === null) throw new Error('web: the probe saw no answer appear')
			return ms
		},
	}
}

/** @param {Ttft} t */
function ttftVerdict(t) {
	const [ws, web] = t.results
	const line = (
		/** @type {string} */ q,
		/** @type {number} */ value,
		/** @type {number} */ limit,
	) =>
		`${q}: web ${value.toFixed(1)} ms, limit ${TTFT_SLOPE} × ws + ${TTFT_ALLOWANCE_MS} ms = ${limit.toFixed(1)} ms: ${value <= limit ? 'ok' : 'MISSED'}`
	return [
		line('p50', web?.p50 ?? Number.NaN, t.p50Limit),
		line('p99', web?.p99 ?? Number.NaN, t.p99Limit),
		`(ws p50 ${ws?.p50.toFixed(1)} ms, p99 ${ws?.p99.toFixed(1)} ms)`,
	].join('\n')
}
