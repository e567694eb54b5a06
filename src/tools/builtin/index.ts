// Every built-in tool in one registry: lane tools (time, identity) and tool jobs (JavaScript,
// workspace files and shell, the web). An agent sees the part its selection opens.

import { ToolRegistry } from '../registry'
import { sessionStatus, timeNow } from './lane'
import { runJs } from './run-js'
import { webFetch } from './web-fetch'
import { WORKSPACE_TOOLS } from './workspace'

let catalog: ToolRegistry | undefined

/** The built-in tools (built once per isolate). */
export function toolCatalog(): ToolRegistry {
	if (!catalog) {
		catalog = new ToolRegistry()
			.register(timeNow)
			.register(sessionStatus)
			.register(runJs)
			.register(webFetch)
		for (const spec of WORKSPACE_TOOLS) catalog.register(spec)
	}
	return catalog
}
