// Test stand-in for `@cloudflare/containers` (vitest.config.ts aliases the package here), so the
// real Sandbox Durable Object from @cloudflare/sandbox runs in miniflare against a fake container
// instead of a Docker one: same seam the SDK's own tests replace. It exports what the SDK imports.
import { DurableObject } from 'cloudflare:workers'
import { FakeMachine } from './container-machine'

type State = { status: 'stopped' | 'healthy'; lastChange: number; exitCode?: number }
type StopParams = { exitCode: number; reason: 'exit' | 'runtime_signal' }

/**
 * The base class of `Sandbox`: container lifecycle and `containerFetch`, served by a FakeMachine
 * held by this Durable Object instance (a container lives exactly as long as its instance).
 */
export class Container<Env = unknown> extends DurableObject<Env> {
	defaultPort?: number
	requiredPorts?: number[]
	sleepAfter: string | number = '10m'
	envVars: Record<string, string> = {}
	entrypoint?: string[]
	enableInternet = true
	interceptHttps = false
	labels?: Record<string, string>
	/** The fake container; tests reach it with fakeContainerOf() inside runInDurableObject(). */
	readonly machine = new FakeMachine()
	#state: State = { status: 'stopped', lastChange: Date.now() }

	async getState(): Promise<State> {
		return this.#state
	}

	async start(): Promise<void> {
		if (this.#state.status === 'healthy') return
		this.machine.start()
		this.#state = { status: 'healthy', lastChange: Date.now() }
		await this.onStart()
	}

	async startAndWaitForPorts(): Promise<void> {
		await this.start()
	}

	async containerFetch(
		requestOrUrl: Request | string | URL,
		portOrInit?: number | RequestInit,
		_port?: number,
	): Promise<Response> {
		const request =
			requestOrUrl instanceof Request
				? requestOrUrl
				: new Request(requestOrUrl, typeof portOrInit === 'object' ? portOrInit : {})
		// The real base class starts a stopped container before forwarding.
		await this.start()
		this.renewActivityTimeout()
		return this.machine.handle(request)
	}

	override async fetch(request: Request): Promise<Response> {
		return this.containerFetch(request)
	}

	async stop(): Promise<void> {
		await this.#end('stop', { exitCode: 0, reason: 'exit' })
	}

	async destroy(): Promise<void> {
		await this.#end('destroy', { exitCode: 137, reason: 'runtime_signal' })
	}

	onStart(): void | Promise<void> {}
	onStop(_params: StopParams): void | Promise<void> {}
	onError(error: unknown): unknown {
		throw error
	}
	async onActivityExpired(): Promise<void> {
		await this.stop()
	}
	renewActivityTimeout(): void {}

	async #end(kind: 'stop' | 'destroy', params: StopParams): Promise<void> {
		const wasRunning = this.#state.status === 'healthy'
		this.machine.stop(kind)
		this.#state = { status: 'stopped', lastChange: Date.now(), exitCode: params.exitCode }
		if (wasRunning) await this.onStop(params)
	}
}

/** The SDK extends it for its outbound-interception entrypoint; nothing here routes through it. */
export class ContainerProxy {}

export function getContainer<T extends Rpc.DurableObjectBranded | undefined>(
	binding: DurableObjectNamespace<T>,
	name = 'cf-singleton-container',
): DurableObjectStub<T> {
	return binding.get(binding.idFromName(name))
}

export function switchPort(request: Request, port: number): Request {
	const headers = new Headers(request.headers)
	headers.set('cf-container-target-port', port.toString())
	return new Request(request, { headers })
}

/** The fake machine behind a Sandbox instance; throws when the alias did not reach the class. */
export function fakeContainerOf(instance: object): FakeMachine {
	if (!(instance instanceof Container)) {
		throw new Error(
			'this Durable Object does not extend the fake Container: the alias is not applied',
		)
	}
	return instance.machine
}

/**
 * The SDK logs every call at info level. Its logger reads process.env, which the test and the
 * Durable Objects share (one isolate), when each logger is made: call this before the first use.
 */
export function silenceSandboxSdk(): void {
	const process = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
	if (process) process.env.SANDBOX_LOG_LEVEL = 'error'
}
