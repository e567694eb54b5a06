// What a failed D1 write means for the caller. A foreign-key failure says a parent row (the tenant,
// an agent) does not exist: the caller named something missing, which is a 404, not a fault of
// ours — and its SQL and parameters belong in no log line.

const FOREIGN_KEY = /FOREIGN KEY constraint failed/i

/** True when `error`, or any error in its cause chain (drizzle wraps D1's), is a foreign-key failure. */
export function isForeignKeyViolation(error: unknown): boolean {
	let current: unknown = error
	for (let depth = 0; current instanceof Error && depth < 5; depth++) {
		if (FOREIGN_KEY.test(current.message)) return true
		current = current.cause
	}
	return false
}
