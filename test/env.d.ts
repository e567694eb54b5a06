// Test-only bindings, added by vitest.config.ts on top of the generated Env.
declare namespace Cloudflare {
	interface Env {
		TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
	}
}

/**
 * The Workers vitest integration's own module, inside the runtime (not in its published types):
 * test/setup.ts waits with it for what the file before left to `waitUntil`.
 */
declare module 'cloudflare:test-internal' {
	export function waitForGlobalWaitUntil(): Promise<void>
}
