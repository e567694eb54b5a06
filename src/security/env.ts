// Reading the deployment's environment by a name known only at run time — a secret an agent
// config names, a key setting a pure check is handed — the one place that looks past `Env`'s type.

/** The non-empty string the deployment holds under `name` (a secret or a var), else undefined. */
export function secret(env: object, name: string): string | undefined {
	const value = (env as Record<string, unknown>)[name]
	return typeof value === 'string' && value !== '' ? value : undefined
}
