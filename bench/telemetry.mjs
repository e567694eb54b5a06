// The `telemetry` phase: what metrics (and trace propagation) cost a turn. Two fresh instances of
// the product — EDGECLAW_TELEMETRY=on and off, nothing else different — take the same turns on the
// instant offline model, one request in flight, alternating request by request (drift on a busy
// machine then hits both alike); the budget is on the ratio of their p50s.
import { join } from 'node:path'
import { measure, startProduct, table } from './lib.mjs'

/**
 * @param {{ cwd: string, state: string, token: string, plan: { rounds: number, perRound: number, warmup: number } }} o
 * @returns {Promise<{ results: import('./lib.mjs').Result[], p50Ratio: number, p99Ratio: number }>}
 */
export async function telemetryScenario({ cwd, state, token, plan }) {
	const modes = /** @type {const} */ (['on', 'off'])
	const starting = await Promise.allSettled(
		modes.map((mode) =>
			startProduct({
				cwd,
				state: join(state, `telemetry-${mode}`),
				vars: {
					EDGECLAW_LOG_LEVEL: 'warn',
					EDGECLAW_RATE_LIMITS: 'disabled',
					EDGECLAW_ADMIN_TOKEN: token,
					EDGECLAW_TELEMETRY: mode,
				},
			}),
		),
	)
	const instances = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
	const stopAll = () => Promise.all(instances.map((w) => w.stop()))
	const [on, off] = instances
	if (!on || !off) {
		await stopAll()
		const failed = starting.find((s) => s.status === 'rejected')
		throw failed?.status === 'rejected' ? failed.reason : new Error('telemetry: no instance')
	}
	try {
		const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
		/** @param {string} url @returns {(i: number) => Promise<Response>} */
		const turn = (url) => (i) =>
			fetch(`${url}/v1/sessions/telemetry-${i % 64}/messages`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ content: `message ${i}`, wait: true }),
			})
		const answered = (/** @type {string} */ body) => {
			const run = JSON.parse(body)
			return run.status === 'succeeded' && String(run.output).startsWith('echo: message')
		}
		const results = await measure(
			[
				{ name: 'turn.telemetry.off', request: turn(off.url), check: answered },
				{
					name: 'turn.telemetry.on',
					baseline: 'turn.telemetry.off',
					request: turn(on.url),
					check: answered,
				},
			],
			plan,
		)
		const [offResult, onResult] = results
		return {
			results,
			p50Ratio: (onResult?.p50 ?? Number.NaN) / (offResult?.p50 ?? Number.NaN),
			p99Ratio: (onResult?.p99 ?? Number.NaN) / (offResult?.p99 ?? Number.NaN),
		}
	} finally {
		await stopAll()
	}
}

/**
 * The phase's table, and its ratio against the budget.
 * @param {Awaited<ReturnType<typeof telemetryScenario>>} t
 * @param {{ rounds: number, perRound: number }} plan
 */
export function telemetryReport(t, plan) {
	return [
		`\ntelemetry: the same turn on two instances, EDGECLAW_TELEMETRY=on and off, one request in flight, alternating, ${plan.rounds * plan.perRound} each (ms)\n`,
		table(t.results),
		`\nturn p50 on / off: ${t.p50Ratio.toFixed(3)} (budget ≤ 1.03); p99: ${t.p99Ratio.toFixed(3)}`,
	].join('\n')
}
