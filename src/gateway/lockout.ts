// Failed authentication per client IP, for every surface that takes a credential (the HTTP
// middleware, the OpenClaw `connect` frame): failures count in RATE_LIMIT_AUTH_FAIL, and past its
// limit the IP is locked out for a minute, with any credential. The lockout lives in the IP's
// AuthLockout object, so it holds across isolates and across sockets — an OpenClaw connection is
// a Durable Object of its own, and an attacker opens a new socket per try.

/** How long an IP that went over the limit is refused, with any credential. */
export const LOCKOUT_MS = 60_000

/** Counts one failed attempt from `ip`; true when that puts the IP over the limit. */
export async function overFailureLimit(env: Env, ip: string | undefined): Promise<boolean> {
	const { success } = await env.RATE_LIMIT_AUTH_FAIL.limit({ key: `auth-fail:${ip ?? 'unknown'}` })
	return !success
}

/** Locks `ip` out until `until` for every isolate and connection. */
export async function lockOut(env: Env, ip: string, until: number): Promise<void> {
	await env.AUTH_LOCKOUT.getByName(ip).lock(until)
}

/** When `ip`'s lockout ends, or undefined when it is not locked out. */
export async function lockedUntil(env: Env, ip: string): Promise<number | undefined> {
	return (await env.AUTH_LOCKOUT.getByName(ip).lockedUntil()) ?? undefined
}
