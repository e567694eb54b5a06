// What the Worker bundle has instead of the AI SDK's core, `ai` (wrangler.toml `[alias]`): the
// Workers AI provider imports only `generateId` from it, which `ai` re-exports from the provider
// utilities, but the core's module evaluates all of its top level (6 KiB gzip). Nothing in src/
// imports `ai`; a name not exported here fails the build rather than the request.
export { generateId } from '@ai-sdk/provider-utils'
