// Remote MCP servers (Streamable HTTP) as edgeclaw tools: discovery turns each remote tool into a
// prefixed ToolSpec that runs as a job, and a per-isolate cache keeps turns from waiting on — or
// failing because of — a server that is slow, misconfigured or down.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type {
	JsonSchemaValidator,
	jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation/types.js'
import { z } from 'zod'
import type { Logger } from '../observability/logger'
import type { Credential } from '../security/credentials'
import { guardedFetch, OutboundRefused, type UrlGuard } from '../security/outbound'
import { checkUrl as ssrfCheckUrl } from '../security/ssrf'
import type { McpServer } from './config'
import { type AnyToolSpec, type JsonSchemaObject, ToolError, type ToolSpec } from './registry'

export type { UrlGuard } from '../security/outbound'

export interface McpDeps {
	/** Whose servers these are: discovery uses the tenant's credentials, so its cache is per tenant. */
	tenantId: string
	fetch: typeof fetch
	/** The secret a server names, resolved for the tenant (never a shared deployment secret). */
	credential(name: string): Promise<Credential>
	logger: Logger
	signal?: AbortSignal
	now?: () => number
	/** Refuses server URLs (private, loopback, plain http, …); default the SSRF guard for tenant URLs. */
	checkUrl?: UrlGuard
}

/** The SSRF guard for tenant-chosen URLs without the local-dev loopback exception. */
const defaultGuard: UrlGuard = (url) => ssrfCheckUrl(url, undefined, { httpsOnly: true })

const MAX_TOOLS = 100
const MAX_PAGES = 20
const MAX_NAME_CHARS = 64
const MAX_DESCRIPTION_CHARS = 1_000
const MAX_SCHEMA_CHARS = 32_000
const MAX_RESULT_CHARS = 100_000
const DISCOVERY_TIMEOUT_MS = 15_000
/** How long closing waits for the server to drop its session (a courtesy, never a blocker). */
const CLOSE_GRACE_MS = 1_000
const CLIENT_INFO = { name: 'edgeclaw', version: '0.1.0' }
const NO_RECONNECT = {
	maxRetries: 0,
	initialReconnectionDelay: 1_000,
	maxReconnectionDelay: 1_000,
	reconnectionDelayGrowFactor: 1,
}

/**
 * Tool output schemas are not checked: results reach the model as text, and the SDK's default
 * (Ajv) compiles validators with `new Function`, which workerd forbids. The Worker bundle has a
 * stand-in for Ajv that throws (src/bundle/ajv.ts): the client must always be given this.
 */
const uncheckedOutput: jsonSchemaValidator = {
	getValidator<T>(): JsonSchemaValidator<T> {
		return (input) => ({ valid: true, data: input as T, errorMessage: undefined })
	},
}

type Sdk = typeof import('./mcp-sdk')
/** The MCP SDK (client, transport, protocol schemas), loaded with the first MCP call. */
let sdkLoad: Promise<Sdk> | undefined
/** Set once loaded: until then no error can come from the SDK. */
let loadedSdk: Sdk | undefined
const mcpSdk = (): Promise<Sdk> => {
	sdkLoad ??= import('./mcp-sdk').then((sdk) => {
		loadedSdk = sdk
		return sdk
	})
	return sdkLoad
}

/** A server that cannot be used as configured (URL refused, secret missing): retrying won't help. */
class McpConfigError extends Error {
	override readonly name = 'McpConfigError'
	constructor(
		readonly reason: string,
		message: string,
	) {
		super(message)
	}
}

interface Access {
	fetch: typeof fetch
	credential(name: string): Promise<Credential>
	checkUrl: UrlGuard
	/** A traced run's W3C traceparent, sent to the server with each request of a call. */
	traceparent?: string | undefined
}

/** Connects, runs `use`, and always closes (dropping the server's session when it has one). */
async function withClient<T>(
	server: McpServer,
	access: Access,
	options: RequestOptions,
	use: (client: Client) => Promise<T>,
): Promise<T> {
	const checked = access.checkUrl(server.url)
	if (!checked.ok) {
		throw new McpConfigError(checked.reason, `MCP server URL refused: ${checked.message}`)
	}
	const headers: Record<string, string> = {}
	if (access.traceparent) headers.traceparent = access.traceparent
	if (server.secret) {
		const credential = await access.credential(server.secret)
		if (!credential.ok) {
			throw new McpConfigError(
				credential.reason,
				`MCP server secret refused: ${credential.message}`,
			)
		}
		headers.authorization = `Bearer ${credential.value}`
	}
	const { Client, StreamableHTTPClientTransport } = await mcpSdk()
	// Every request the transport makes passes the guard first; redirects are checked hop by hop.
	const transport = new StreamableHTTPClientTransport(checked.url, {
		fetch: guardedFetch(access.fetch, access.checkUrl),
		requestInit: { headers },
		reconnectionOptions: NO_RECONNECT,
	})
	const client = new Client(CLIENT_INFO, { jsonSchemaValidator: uncheckedOutput })
	try {
		await client.connect(transport, options)
		return await use(client)
	} finally {
		await within(
			CLOSE_GRACE_MS,
			transport.terminateSession().catch(() => {}),
		)
		await client.close().catch(() => {})
	}
}

/** Waits for `work`, but no longer than `ms`. */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
	let timer: ReturnType<typeof setTimeout> | undefined
	const expiry = new Promise((resolve) => {
		timer = setTimeout(resolve, ms)
	})
	try {
		await Promise.race([work, expiry])
	} finally {
		if (timer !== undefined) clearTimeout(timer)
	}
}

const errorText = (error: unknown): string =>
	(error instanceof Error ? error.message : String(error)).slice(0, 500)

/** Maps a failure to the stable codes the model and the job queue see. */
function toToolError(error: unknown): ToolError {
	if (error instanceof ToolError) return error
	if (error instanceof McpConfigError || error instanceof OutboundRefused) {
		return new ToolError('mcp_unavailable', error.message, { cause: error })
	}
	const sdk = loadedSdk
	const transientRpc = [sdk?.ErrorCode.RequestTimeout, sdk?.ErrorCode.ConnectionClosed]
	if (sdk && error instanceof sdk.McpError && !transientRpc.includes(error.code)) {
		return new ToolError('mcp_tool_error', errorText(error), { cause: error })
	}
	// A 4xx other than 408/429 (bad credentials, wrong path) fails the same way when retried.
	const status = sdk && error instanceof sdk.StreamableHTTPError ? error.code : undefined
	const permanent =
		status !== undefined && status >= 400 && status < 500 && ![408, 429].includes(status)
	return new ToolError('mcp_unavailable', `MCP server unavailable: ${errorText(error)}`, {
		transient: !permanent,
		cause: error,
	})
}

/** The arguments the model sends; never throws, and passes them on unchanged (the server judges). */
function argumentsSchema(schema: JsonSchemaObject): z.ZodType<Record<string, unknown>> {
	const base = z.record(z.string(), z.unknown())
	let converted: z.ZodType
	try {
		converted = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema)
	} catch {
		return base
	}
	return base.superRefine((args, ctx) => {
		let result: ReturnType<typeof converted.safeParse>
		try {
			result = converted.safeParse(args)
		} catch {
			return
		}
		for (const issue of result.error?.issues ?? []) {
			ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path })
		}
	})
}

/** The result as text: structured content as JSON, else the text parts, other parts summarised. */
function resultText(result: Record<string, unknown>): string {
	let text: string
	if (result.structuredContent !== undefined) text = JSON.stringify(result.structuredContent)
	else if (Array.isArray(result.content)) {
		text = result.content
			.map((part: { type?: unknown; text?: unknown }) =>
				part.type === 'text' && typeof part.text === 'string'
					? part.text
					: `[${String(part.type)} content omitted]`,
			)
			.join('\n')
	} else if ('toolResult' in result) text = JSON.stringify(result.toolResult)
	else text = ''
	return text.length > MAX_RESULT_CHARS
		? `${text.slice(0, MAX_RESULT_CHARS)}\n[truncated at ${MAX_RESULT_CHARS} characters]`
		: text
}

/** The prefixed, provider-safe name of a remote tool (`[A-Za-z0-9_-]`, at most 64 chars). */
export function mcpToolName(server: Pick<McpServer, 'id' | 'prefix'>, toolName: string): string {
	const prefix = server.prefix ?? server.id.replaceAll('-', '_')
	return `${prefix}_${toolName}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_NAME_CHARS)
}

function remoteTool(
	server: McpServer,
	tool: Tool,
	name: string,
	guard: UrlGuard,
): ToolSpec<Record<string, unknown>, string> {
	const inputSchema = tool.inputSchema as JsonSchemaObject
	const about = tool.description?.trim() || `Remote tool "${tool.name}".`
	return {
		name,
		description: `[MCP server ${server.id}] ${about}`.slice(0, MAX_DESCRIPTION_CHARS),
		inputSchema,
		parameters: argumentsSchema(inputSchema),
		sideEffect: 'external',
		groups: ['group:mcp', `mcp:${server.id}`],
		timeoutMs: server.timeoutMs,
		idempotent:
			tool.annotations?.readOnlyHint === true || tool.annotations?.idempotentHint === true,
		placement: 'job',
		async execute(args, ctx) {
			const access = {
				fetch: ctx.fetch,
				credential: ctx.credential,
				checkUrl: guard,
				traceparent: ctx.traceparent,
			}
			const options = { signal: ctx.signal, timeout: server.timeoutMs }
			let result: Record<string, unknown>
			try {
				result = await withClient(server, access, options, (client) =>
					client.callTool({ name: tool.name, arguments: args }, undefined, options),
				)
			} catch (error) {
				throw toToolError(error)
			}
			const text = resultText(result)
			if (result.isError === true) {
				throw new ToolError('mcp_tool_error', text || `The MCP tool "${tool.name}" failed.`)
			}
			return text
		},
	}
}

async function listAll(client: Client, options: RequestOptions, logger: Logger): Promise<Tool[]> {
	const tools: Tool[] = []
	let cursor: string | undefined
	for (let page = 0; page < MAX_PAGES; page++) {
		const result = await client.listTools(cursor === undefined ? undefined : { cursor }, options)
		tools.push(...result.tools)
		cursor = result.nextCursor
		if (!cursor || tools.length >= MAX_TOOLS) break
	}
	if (cursor || tools.length > MAX_TOOLS) logger.warn('mcp.tools_truncated', { kept: MAX_TOOLS })
	return tools.slice(0, MAX_TOOLS)
}

/**
 * The tools of one server, as ToolSpecs. A refused URL or a missing secret gives no tools and a
 * warning; a server that cannot be reached throws a transient `mcp_unavailable` ToolError.
 */
export async function discoverMcpTools(server: McpServer, deps: McpDeps): Promise<AnyToolSpec[]> {
	const logger = deps.logger.child({ mcpServer: server.id })
	const guard = deps.checkUrl ?? defaultGuard
	const timeoutMs = Math.min(server.timeoutMs, DISCOVERY_TIMEOUT_MS)
	const timeout = AbortSignal.timeout(timeoutMs)
	const signal = deps.signal ? AbortSignal.any([deps.signal, timeout]) : timeout
	let remote: Tool[]
	try {
		const access = { fetch: deps.fetch, credential: deps.credential, checkUrl: guard }
		const options = { signal, timeout: timeoutMs }
		remote = await withClient(server, access, options, (client) => listAll(client, options, logger))
	} catch (error) {
		if (error instanceof McpConfigError || error instanceof OutboundRefused) {
			logger.warn('mcp.server_skipped', { reason: error.reason, error: error.message })
			return []
		}
		throw toToolError(error)
	}
	const specs: AnyToolSpec[] = []
	const seen = new Set<string>()
	for (const tool of remote) {
		const name = mcpToolName(server, tool.name)
		const skip = seen.has(name)
			? 'name_collision'
			: JSON.stringify(tool.inputSchema).length > MAX_SCHEMA_CHARS
				? 'schema_too_large'
				: undefined
		if (skip) {
			logger.warn('mcp.tool_skipped', { reason: skip, tool: tool.name.slice(0, 128), name })
			continue
		}
		seen.add(name)
		specs.push(remoteTool(server, tool, name, guard))
	}
	return specs
}

export interface McpToolCacheOptions {
	ttlMs?: number
	/** How long a failed discovery counts as "no tools" before the server is tried again. */
	failureTtlMs?: number
	maxEntries?: number
}

interface CacheEntry {
	expires: number
	tools: AnyToolSpec[]
}

/**
 * Discovered tools per server, shared by every caller in the isolate once a discovery has
 * finished; a failure is logged and remembered briefly as "no tools", so a turn never fails
 * because a server is down. Only finished results are shared, never a discovery in flight: the
 * callers are Durable Objects, and one object awaiting another's pending I/O would continue in
 * that object's I/O context, where workerd refuses its storage. Callers that miss together each
 * discover once; the last to finish is kept.
 */
export class McpToolCache {
	readonly #entries = new Map<string, CacheEntry>()
	readonly #ttlMs: number
	readonly #failureTtlMs: number
	readonly #maxEntries: number

	constructor(options: McpToolCacheOptions = {}) {
		this.#ttlMs = options.ttlMs ?? 60_000
		this.#failureTtlMs = options.failureTtlMs ?? 10_000
		this.#maxEntries = options.maxEntries ?? 256
	}

	async tools(servers: readonly McpServer[], deps: McpDeps): Promise<AnyToolSpec[]> {
		const lists = await Promise.all(servers.map((server) => this.#tools(server, deps)))
		return lists.flat()
	}

	async #tools(server: McpServer, deps: McpDeps): Promise<AnyToolSpec[]> {
		const now = deps.now ?? Date.now
		// Prefix and timeout are baked into the specs, so they are part of the key too; discovery
		// used the tenant's credential, so the tenant is.
		const key = JSON.stringify([
			deps.tenantId,
			server.id,
			server.url,
			server.secret ?? null,
			server.prefix ?? null,
			server.timeoutMs,
		])
		const hit = this.#entries.get(key)
		if (hit && hit.expires > now()) return hit.tools
		let entry: CacheEntry
		try {
			entry = { tools: await discoverMcpTools(server, deps), expires: now() + this.#ttlMs }
		} catch (error) {
			deps.signal?.throwIfAborted()
			deps.logger.warn('mcp.discovery_failed', { mcpServer: server.id, error: errorText(error) })
			entry = { tools: [], expires: now() + this.#failureTtlMs }
		}
		this.#entries.delete(key)
		this.#entries.set(key, entry)
		for (const old of this.#entries.keys()) {
			if (this.#entries.size <= this.#maxEntries) break
			this.#entries.delete(old)
		}
		return entry.tools
	}
}

const isolateCache = new McpToolCache()

/** The tools of every server, from this isolate's cache (60 s; failures 10 s as "no tools"). */
export function cachedMcpTools(
	servers: readonly McpServer[],
	deps: McpDeps,
): Promise<AnyToolSpec[]> {
	return isolateCache.tools(servers, deps)
}
