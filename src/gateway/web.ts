// The web app (WebChat + console, built from web/ into dist/web) is served by this Worker. Hashed
// files under /assets/ never reach it (wrangler.toml's run_worker_first excludes them; their cache
// headers come from web/public/_headers). Every other browser navigation that is not an API path —
// `/`, `/chat`, `/sessions/…` — gets the app's index.html from the assets binding, with a strict
// Content-Security-Policy and no caching. A WebSocket upgrade at `/` is never a navigation: it stays
// the OpenClaw socket. The API reference at `/docs` is another page of the same build (docs.html,
// Swagger UI bundled from the pinned swagger-ui-dist), served with the same headers.
import type { Context, MiddlewareHandler } from 'hono'
import type { GatewayEnv } from './context'

/**
 * No inline script or style, nothing from another origin, no framing. `connect-src 'self'` covers
 * the same-origin WebSocket. `img-src data:` lets sanitised markdown show inline data images only.
 */
export const APP_CSP = [
	"default-src 'self'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"font-src 'self'",
	"connect-src 'self'",
	"object-src 'none'",
	"base-uri 'none'",
	"form-action 'self'",
	"frame-ancestors 'none'",
].join('; ')

export const APP_HEADERS: Readonly<Record<string, string>> = {
	'content-security-policy': APP_CSP,
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'no-referrer',
	'x-frame-options': 'DENY',
	'cross-origin-opener-policy': 'same-origin',
	'permissions-policy': 'camera=(), microphone=(), geolocation=()',
	'strict-transport-security': 'max-age=15552000; includeSubDomains',
	// index.html names the hashed bundles of this deploy: never serve a stale one.
	'cache-control': 'no-cache',
}

/** Path prefixes that belong to the API (and the API reference): never answered with the app. */
const API_PATHS = ['/v1/', '/hooks/', '/assets/']
const API_EXACT = new Set(['/v1', '/hooks', '/health', '/ready', '/openapi.json', '/docs'])

export function isAppNavigation(req: Request, path: string): boolean {
	if (req.method !== 'GET' && req.method !== 'HEAD') return false
	if (req.headers.get('upgrade')) return false
	if (!(req.headers.get('accept') ?? '').includes('text/html')) return false
	if (API_EXACT.has(path) || API_PATHS.some((prefix) => path.startsWith(prefix))) return false
	return true
}

/** A page of the web build at `assetPath`, with the app's headers. */
async function page(c: Context<GatewayEnv>, assetPath: string): Promise<Response> {
	const res = await c.env.ASSETS.fetch(new URL(assetPath, c.req.url), { method: c.req.method })
	const headers = new Headers(res.headers)
	for (const [name, value] of Object.entries(APP_HEADERS)) headers.set(name, value)
	headers.set('x-request-id', c.get('requestId'))
	headers.delete('etag')
	// Not built (no index.html): the assets' own answer, still with the app's headers.
	const status = res.ok ? 200 : res.status
	return new Response(c.req.method === 'HEAD' ? null : res.body, { status, headers })
}

/** Answers browser navigations with the app; everything else goes on to the API. */
export const webApp = (): MiddlewareHandler<GatewayEnv> =>
	async function webApp(c, next) {
		if (!c.env.ASSETS || !isAppNavigation(c.req.raw, c.req.path)) return next()
		// `/` is index.html (assets answer /index.html with a redirect to /).
		return page(c, '/')
	}

/**
 * GET /docs: the rendered reference of /openapi.json (docs.html; assets answer `/docs` with it).
 * Its script and styles are hashed files under /assets/, so it renders offline and needs no CDN.
 */
export const apiReference = (): MiddlewareHandler<GatewayEnv> =>
	async function apiReference(c) {
		if (!c.env.ASSETS) return c.notFound()
		return page(c, '/docs')
	}
