// Every built-in tool in one registry: lane tools (time, identity, memory, subagents) and tool
// jobs (JavaScript, workspace files and shell, the web). A tool is one file here and one line in
// this list; an agent sees the part its selection opens. Remote MCP tools join per agent (../mcp.ts).
import { type AnyToolSpec, ToolRegistry } from '../registry'
import { editFileTool } from './edit-file'
import { execTool } from './exec'
import { listFilesTool } from './list-files'
import { MEMORY_TOOLS } from './memory'
import { readFileTool } from './read-file'
import { runJs } from './run-js'
import { sessionStatus } from './session-status'
import { sessionsHistory, sessionsList, sessionsSend, sessionsSpawn } from './sessions'
import { timeNow } from './time-now'
import { webFetch } from './web-fetch'
import { writeFileTool } from './write-file'

const BUILTIN_TOOLS: readonly AnyToolSpec[] = [
	timeNow,
	sessionStatus,
	runJs,
	webFetch,
	execTool,
	readFileTool,
	writeFileTool,
	editFileTool,
	listFilesTool,
	...MEMORY_TOOLS,
	sessionsSpawn,
	sessionsSend,
	sessionsList,
	sessionsHistory,
]

let catalog: ToolRegistry | undefined

/** The built-in tools (built once per isolate). */
export function toolCatalog(): ToolRegistry {
	if (!catalog) {
		catalog = new ToolRegistry()
		for (const spec of BUILTIN_TOOLS) catalog.register(spec)
	}
	return catalog
}
