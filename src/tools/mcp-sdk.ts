// The parts of the MCP SDK the MCP tools use, in one module that src/tools/mcp.ts loads with its
// first call: importing these names (not the packages) keeps the SDK's unused exports out of the bundle.
export { Client } from '@modelcontextprotocol/sdk/client/index.js'
export {
	StreamableHTTPClientTransport,
	StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
export { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
