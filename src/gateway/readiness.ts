// Readiness: can this Worker serve a message right now? It checks D1 (schema applied, query
// answers) and a SessionLane round trip (RPC + SQLite), each under a deadline, in parallel.

export type CheckName = 'd1' | 'lane'

export interface CheckResult {
	ok: boolean
	ms: number
	/** Public reason when not ok: coarse on purpose; the full error goes to the log. */
	reason?: string
}

export interface Readiness {
	ready: boolean
	checks: Record<CheckName, CheckResult>
	errors: Partial<Record<CheckName, unknown>>
}

/** Lane used by readiness probes. Tenant ids cannot start with "_", so no session shares it. */
export const READINESS_LANE = '_readiness'

class CheckTimeout extends Error {
	override readonly name = 'CheckTimeout'
}

async function timed(
	run: () => Promise<void>,
	timeoutMs: number,
	now: () => number,
): Promise<CheckResult & { error?: unknown }> {
	const started = now()
	let timer: number | undefined
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new CheckTimeout(`timed out after ${timeoutMs} ms`)), timeoutMs)
	})
	try {
		await Promise.race([run(), deadline])
		return { ok: true, ms: now() - started }
	} catch (error) {
		const reason = error instanceof CheckTimeout ? error.message : 'check failed'
		return { ok: false, ms: now() - started, reason, error }
	} finally {
		if (timer !== undefined) clearTimeout(timer)
	}
}

export async function checkReadiness(
	env: Pick<Env, 'DB' | 'SESSION_LANE'>,
	options: { timeoutMs?: number; now?: () => number } = {},
): Promise<Readiness> {
	const timeoutMs = options.timeoutMs ?? 2_000
	const now = options.now ?? Date.now
	const [d1, lane] = await Promise.all([
		// Reading a real table proves the migrations ran, not only that D1 answers.
		timed(
			async () => {
				await env.DB.prepare('SELECT id FROM tenants LIMIT 1').all()
			},
			timeoutMs,
			now,
		),
		timed(
			async () => {
				const pong = await env.SESSION_LANE.getByName(READINESS_LANE).ping()
				if (pong.sqlite !== 1) throw new Error('lane storage answered wrongly')
			},
			timeoutMs,
			now,
		),
	])
	const split = ({ error, ...result }: CheckResult & { error?: unknown }) => ({ result, error })
	const d = split(d1)
	const l = split(lane)
	const errors: Readiness['errors'] = {}
	if (d.error !== undefined) errors.d1 = d.error
	if (l.error !== undefined) errors.lane = l.error
	return { ready: d1.ok && lane.ok, checks: { d1: d.result, lane: l.result }, errors }
}
