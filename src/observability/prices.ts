// What a model call costs, for the `model_call` metric: list prices (USD per million tokens) of
// well-known Anthropic and OpenAI models, the offline model at zero, and an agent's own prices
// (its config's `prices`) before either. A model priced nowhere has no cost, never a guessed one.

/** USD per million input and output tokens. */
export interface ModelPrice {
	input: number
	output: number
}

/**
 * List prices by model name (the part of `provider:model` after the colon, whatever the provider
 * id is called). A dated snapshot (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`) or `-latest`
 * takes its model's price; any other variant (`o3-pro`, `gpt-4o-audio-preview`) is priced only by
 * its own entry.
 */
export const LIST_PRICES: Readonly<Record<string, ModelPrice>> = {
	'claude-opus-4-5': { input: 5, output: 25 },
	'claude-opus-4-1': { input: 15, output: 75 },
	'claude-opus-4': { input: 15, output: 75 },
	'claude-sonnet-4-5': { input: 3, output: 15 },
	'claude-sonnet-4': { input: 3, output: 15 },
	'claude-3-7-sonnet': { input: 3, output: 15 },
	'claude-haiku-4-5': { input: 1, output: 5 },
	'claude-3-5-haiku': { input: 0.8, output: 4 },
	'claude-3-haiku': { input: 0.25, output: 1.25 },
	'gpt-5': { input: 1.25, output: 10 },
	'gpt-5-mini': { input: 0.25, output: 2 },
	'gpt-5-nano': { input: 0.05, output: 0.4 },
	'gpt-4.1': { input: 2, output: 8 },
	'gpt-4.1-mini': { input: 0.4, output: 1.6 },
	'gpt-4.1-nano': { input: 0.1, output: 0.4 },
	'gpt-4o': { input: 2.5, output: 10 },
	'gpt-4o-mini': { input: 0.15, output: 0.6 },
	o3: { input: 2, output: 8 },
	'o3-mini': { input: 1.1, output: 4.4 },
	'o4-mini': { input: 1.1, output: 4.4 },
	// Embedding models (/v1/embeddings): input tokens only.
	'text-embedding-3-small': { input: 0.02, output: 0 },
	'text-embedding-3-large': { input: 0.13, output: 0 },
	'text-embedding-ada-002': { input: 0.1, output: 0 },
}

/** A snapshot's date or `-latest` at the end of a model name. */
const SNAPSHOT = /-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/

/** Providers whose calls cost nothing (the deterministic offline model). */
const FREE_PROVIDERS = new Set(['offline'])

const listed = (name: string): ModelPrice | undefined =>
	Object.hasOwn(LIST_PRICES, name) ? LIST_PRICES[name] : undefined

/** The price of `provider:model`: the agent's own, the list's, zero for free providers, or none. */
export function priceOf(
	ref: string,
	own?: Readonly<Record<string, ModelPrice>>,
): ModelPrice | undefined {
	if (own && Object.hasOwn(own, ref)) return own[ref]
	const colon = ref.indexOf(':')
	if (FREE_PROVIDERS.has(ref.slice(0, colon))) return { input: 0, output: 0 }
	const name = ref.slice(colon + 1)
	return listed(name) ?? listed(name.replace(SNAPSHOT, ''))
}

/** USD of a call's tokens at `price`; undefined when the price is unknown. */
export function costOf(
	price: ModelPrice | undefined,
	inputTokens: number,
	outputTokens: number,
): number | undefined {
	if (!price) return undefined
	return (inputTokens * price.input + outputTokens * price.output) / 1_000_000
}
