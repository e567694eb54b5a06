// A real MCP server from the SDK, served in-process through a fetch function: MCP tests reach it
// without a network and can see every request it was sent.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'

export interface FakeMcpServer {
	/** Hand this to the code under test as its `fetch`. */
	fetch: typeof fetch
	/** Every request the server was sent, in order. */
	requests: Request[]
}

/**
 * Serves `build()` in the SDK's stateless mode: a fresh server and transport per request, JSON
 * responses instead of SSE. GET (the optional standalone SSE stream) answers 405, as the spec
 * allows, so no stream outlives a test.
 */
export function serveMcp(build: () => McpServer | Server): FakeMcpServer {
	const requests: Request[] = []
	const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const request = new Request(input, init)
		requests.push(request.clone())
		if (request.method !== 'POST') return new Response(null, { status: 405 })
		const transport = new WebStandardStreamableHTTPServerTransport({
			sessionIdGenerator: undefined,
			enableJsonResponse: true,
		})
		await build().connect(transport)
		return transport.handleRequest(request)
	}
	return { fetch: fetch as typeof globalThis.fetch, requests }
}
