// `npm run dev` shows its own banner and then only what matters of wrangler's output: this is
// wrangler 4's start-up as it prints it offline (colours included), and what the filter keeps.
import { describe, expect, it } from 'vitest'
import { devOutputFilter } from '../../scripts/dev-output.mjs'

const WRANGLER = `
 ⛅️ wrangler 4.164.0
────────────────────
Using secrets defined in .dev.vars
Your Worker has access to the following bindings:
Binding                                                   Resource                      Mode
env.SESSION_LANE (SessionLane)                            Durable Object                local
env.DB (edgeclaw)                                         D1 Database                   local
env.AI                                                    AI                            not supported
env.EDGECLAW_ADMIN_TOKEN ("(hidden)")                     Environment Variable          local

The following containers are available:
- edgeclaw-sandbox (/srv/edgeclaw/Dockerfile)

[wrangler:warn] Unable to fetch the \`Request.cf\` object! Falling back to a default placeholder...
Error: getaddrinfo ENOTFOUND workers.cloudflare.com
    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)
    at GetAddrInfoReqWrap.callbackTrampoline (node:internal/async_hooks:130:17)
\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mNOSENTRY per-isolate bootstrap compile cache failed its compatibility check\x1b[0m


\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mScheduled Workers are not automatically triggered during local development.\x1b[0m

  To manually trigger a scheduled event, run:
    curl "http://127.0.0.1:8787/cdn-cgi/local/scheduled"
  For more details, see https://developers.cloudflare.com/workers/configuration/cron-triggers/


\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mAI bindings always access remote resources, and so may incur usage charges even in local dev.\x1b[0m


⎔ Starting local server...
[wrangler:info] ✨ Parsed 1 valid header rule.
⎔ Connection status updated
Your Worker has access to the following bindings:
Binding                                                   Resource                      Mode
env.SESSION_LANE (SessionLane)                            Durable Object                local

[wrangler:info] Ready on http://127.0.0.1:8787
{"ts":"2026-12-07T15:58:38.989Z","level":"info","msg":"request","method":"GET","path":"/health","status":200}
[wrangler:info] GET /health 200 OK (27ms)
\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1msomething wrangler has not said before\x1b[0m
`

describe('npm run dev output', () => {
	it('drops the start-up chatter and keeps requests, logs and unknown errors', () => {
		const keep = devOutputFilter({ ready: (url) => `ready on ${url} — Ctrl-C stops` })
		const shown = WRANGLER.split('\n')
			.map(keep)
			.filter((line) => line !== null)
		expect(shown).toEqual([
			'ready on http://127.0.0.1:8787 — Ctrl-C stops',
			'{"ts":"2026-12-07T15:58:38.989Z","level":"info","msg":"request","method":"GET","path":"/health","status":200}',
			'[wrangler:info] GET /health 200 OK (27ms)',
			'\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1msomething wrangler has not said before\x1b[0m',
		])
	})
})
