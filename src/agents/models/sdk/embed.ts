// The AI SDK's embedding call, imported on its own so that loading it lazily keeps the rest of the
// SDK's core out of the bundle (a dynamic import of `ai` itself would keep all of it).
export { embedMany } from 'ai'
