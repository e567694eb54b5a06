// The official openai SDK, re-exported untouched. Its bundled typings pull undici and @types/node
// into the whole program (which changes global timer types under the Workers types), so the tests
// see it through sdk.d.ts: the part of its public surface they use, written out by hand.
export { default as OpenAI } from 'openai'
