// The Anthropic provider, imported on its own so that loading it lazily keeps the package's unused
// exports out of the bundle (a dynamic import of the package itself would keep them all).
export { createAnthropic } from '@ai-sdk/anthropic'
