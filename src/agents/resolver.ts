// Picks the runner for an agent's model. Today: the built-in offline model; other providers
// answer every turn with a clear `model_unavailable` error until their adapters are configured.
import { OfflineModel } from './offline'
import { type AgentRunner, ModelError, type TurnResult } from './runner'

export function runnerFor(config: { model: { primary: string } }): AgentRunner {
	const ref = config.model.primary
	return ref.startsWith('offline:') ? new OfflineModel(ref) : new UnavailableModel(ref)
}

/** Runner for models this build cannot call yet: every turn fails with a clear error. */
export class UnavailableModel implements AgentRunner {
	readonly #ref: string
	constructor(ref: string) {
		this.#ref = ref
	}
	async runTurn(): Promise<TurnResult> {
		throw new ModelError(
			'model_unavailable',
			`model "${this.#ref}" has no provider configured in this deployment`,
		)
	}
	async summarize(): Promise<string> {
		throw new ModelError(
			'model_unavailable',
			`model "${this.#ref}" has no provider configured in this deployment`,
		)
	}
}
