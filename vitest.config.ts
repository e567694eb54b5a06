// Tests run inside workerd through the Cloudflare vitest plugin, with the real wrangler.toml
// bindings and the real D1 migrations (applied per test file by test/setup.ts). Each test file
// runs in a workerd runtime of its own (docs/performance.md, "Test suite on 2 cores").
import { fileURLToPath } from 'node:url'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { withSandboxV8Flags } from './scripts/v8-flags.mjs'
import { ADMIN_TOKEN } from './test/admin-token.js'
import { STATE_WAIT_MS, TEST_TIMEOUT_MS } from './test/timeouts.js'

// No container engine runs under tests: the Sandbox SDK's base class comes from a fake container
// (test/fakes/containers.ts), so the real Sandbox Durable Object still runs against it.
const FAKE_CONTAINERS = fileURLToPath(new URL('./test/fakes/containers.ts', import.meta.url))

// The dependencies the Worker imports, pre-bundled once per run: a test file then evaluates a few
// modules for them instead of about 460 (each one a round trip from workerd to vitest). Every
// entry the sources and tests import is named, so all of them share one copy of each package.
// `@cloudflare/sandbox` stays out: its `@cloudflare/containers` is the fake above.
const PREBUNDLED = [
	'zod',
	'@hono/zod-openapi',
	'hono',
	'hono/body-limit',
	'hono/cors',
	'hono/http-exception',
	'hono/route',
	'hono/router/pattern-router',
	'hono/secure-headers',
	'drizzle-orm',
	'drizzle-orm/d1',
	'drizzle-orm/sqlite-core',
	'jose',
	'ai',
	'@ai-sdk/anthropic',
	'@ai-sdk/anthropic/internal',
	'@ai-sdk/openai',
	'@ai-sdk/openai/internal',
	'@ai-sdk/openai-compatible',
	'@ai-sdk/provider',
	'@ai-sdk/provider-utils',
	'workers-ai-provider',
	'@modelcontextprotocol/sdk/client/index.js',
	'@modelcontextprotocol/sdk/client/streamableHttp.js',
	'@modelcontextprotocol/sdk/server/index.js',
	'@modelcontextprotocol/sdk/server/mcp.js',
	'@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js',
	'@modelcontextprotocol/sdk/shared/protocol.js',
	'@modelcontextprotocol/sdk/types.js',
	'@modelcontextprotocol/sdk/validation/types.js',
	'acorn',
	'acorn-walk',
	'croner',
	'eventsource-parser',
	'ipaddr.js',
	'sucrase',
	'fast-check',
]

export default defineConfig(async () => {
	const migrations = await readD1Migrations('./migrations')
	// Read by miniflare when it starts workerd: the sandbox tests run with the dev runtime's flags.
	process.env.MINIFLARE_WORKERD_V8_FLAGS = withSandboxV8Flags(
		process.env.MINIFLARE_WORKERD_V8_FLAGS,
	)
	return {
		// The pre-bundled dependencies live in the checkout, not in node_modules: checkouts that
		// share one node_modules (git worktrees) would otherwise rebuild each other's bundle mid-run.
		cacheDir: '.vite',
		plugins: [
			cloudflareTest({
				wrangler: { configPath: './wrangler.toml' },
				// Workers AI only runs on Cloudflare; tests never reach it (its binding is absent).
				remoteBindings: false,
				miniflare: {
					bindings: {
						TEST_MIGRATIONS: migrations,
						EDGECLAW_ADMIN_TOKEN: ADMIN_TOKEN,
						EDGECLAW_CONTAINERS: 'disabled',
						EDGECLAW_LOG_LEVEL: 'error',
						// Test-only keys (32 bytes, base64): tenant secrets and the audit chain's HMAC.
						EDGECLAW_SECRETS_KEY: 'dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU=',
						EDGECLAW_AUDIT_KEY: 'dGVzdC1hdWRpdC1rZXktLTAxMjM0NTY3ODlhYmNkZWY=',
						// A provider key for tests that create agents naming it; never a real key.
						TEST_PROVIDER_KEY: 'sk-test-secret-value-1234',
					},
				},
			}),
		],
		resolve: {
			alias: [{ find: /^@cloudflare\/containers$/, replacement: FAKE_CONTAINERS }],
		},
		test: {
			include: ['test/**/*.test.ts'],
			// Contract and browser tests run in Node against wrangler dev (vitest.contract.config.ts).
			exclude: ['test/contract/**', 'test/browser/**'],
			setupFiles: ['./test/setup.ts'],
			// A fresh workerd runtime per file (vitest's default isolation): files that shared one
			// runtime leaked background work into the next file's storage on a loaded machine.
			// Four at once even on 2 cores: a file spends most of its time waiting (paced D1
			// writes every 5 s, alarms), and the waits of one runtime overlap the others' work.
			maxWorkers: 4,
			// The Worker's dependencies pre-bundled: a file loads a few modules of them instead of
			// hundreds, one round trip each (docs/performance.md, "Test suite on 2 cores").
			deps: { optimizer: { ssr: { enabled: true, include: PREBUNDLED } } },
			// A fake Analytics Engine SQL API on loopback for the metrics API's SQL client.
			globalSetup: ['./test/global/metrics-sql-api.ts'],
			// Bounded by state, not speed: see test/timeouts.ts.
			testTimeout: TEST_TIMEOUT_MS,
			hookTimeout: TEST_TIMEOUT_MS,
			expect: { poll: { timeout: STATE_WAIT_MS } },
		},
	}
})
