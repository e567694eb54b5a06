// The OpenAI-compatible provider, imported on its own so that loading it lazily keeps the package's
// unused exports out of the bundle (a dynamic import of the package itself would keep them all).
export { createOpenAICompatible } from '@ai-sdk/openai-compatible'
