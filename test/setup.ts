// Storage is isolated per test file; every file starts from the real, fully migrated schema, fresh
// modules and the Worker's own bindings — though the files a vitest worker runs share one workerd
// runtime (vitest.config.ts, `isolate: false`), so this undoes what the file before left behind.
import { abortAllDurableObjects, applyD1Migrations, env, reset } from 'cloudflare:test'
import { waitForGlobalWaitUntil } from 'cloudflare:test-internal'
import { vi } from 'vitest'

/** The bindings as the runtime gave them, kept across files (a test may wrap one: fakes/metrics). */
const BINDINGS = Symbol.for('edgeclaw.test.bindings')
const runtime = globalThis as { [BINDINGS]?: Map<PropertyKey, PropertyDescriptor> }
runtime[BINDINGS] ??= new Map(
	Reflect.ownKeys(env).flatMap((key) => {
		const descriptor = Reflect.getOwnPropertyDescriptor(env, key)
		return descriptor ? [[key, descriptor] as const] : []
	}),
)
const bindings = runtime[BINDINGS]
for (const key of Reflect.ownKeys(env)) if (!bindings.has(key)) Reflect.deleteProperty(env, key)
for (const [key, descriptor] of bindings) Reflect.defineProperty(env, key, descriptor)

// The work the file before handed to `waitUntil` (a paced D1 write, an audit row) lands first, in
// the storage about to be dropped, never in this file's — also what its calls of the gateway
// without an ExecutionContext started (its modules are still the ones loaded).
const { unhandedSettled } = await import('../src/gateway/audit')
await unhandedSettled()
await waitForGlobalWaitUntil().catch(() => {})
// Every Durable Object's storage — the lanes', and D1's and the queues' behind the bindings — is
// deleted and every object aborted; the modules (their caches, lockouts, paced writers) start over.
await reset()
// No object keeps what it held in memory (a chain's head, a lockout's counts): every one is
// aborted, once nothing of the file before is under way (docs/performance.md).
await abortAllDurableObjects()
vi.resetModules()
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
