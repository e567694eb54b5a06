// What the Worker bundle has instead of ajv and ajv-formats (wrangler.toml `[alias]`): the MCP SDK's
// client imports them for its default output-schema validator, which edgeclaw never builds — it
// passes its own (src/tools/mcp.ts) — and which could not run on Workers anyway (ajv compiles
// with `new Function`). 44 KiB gzip with their dependencies; constructing either fails loudly.
const absent = (name: string) =>
	new Error(`${name} is not in the Worker bundle: pass the MCP client a jsonSchemaValidator`)

export default class Ajv {
	constructor() {
		throw absent('ajv')
	}
}

/** ajv-formats' default export, `addFormats(ajv)`. */
export function addFormats(): never {
	throw absent('ajv-formats')
}
