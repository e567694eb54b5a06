// What the code reads from the environment that `wrangler types` cannot see: secrets, and vars
// that wrangler.toml leaves unset. Merged into the generated Env (worker-configuration.d.ts).
// Names known only at run time (a secret an agent config names) are read with security/env.ts.

interface EdgeclawOptionalEnv {
	/** Stores API keys created while it is set as HMAC-SHA-256 instead of SHA-256. */
	EDGECLAW_KEY_PEPPER?: string
	/** `disabled` turns request limits off (benchmarks only; the security report flags it). */
	EDGECLAW_RATE_LIMITS?: string
	/** The data key before a rotation: rows sealed under it still open. */
	EDGECLAW_SECRETS_KEY_PREVIOUS?: string
	/** The audit key before a rotation: its rows and checkpoints keep verifying. */
	EDGECLAW_AUDIT_KEY_PREVIOUS?: string
	/** JWTs signed by these keys are accepted (inline JSON, or a URL); unset = none is. */
	EDGECLAW_JWT_JWKS?: string
	EDGECLAW_JWT_JWKS_URL?: string
	EDGECLAW_JWT_ISSUER?: string
	EDGECLAW_JWT_AUDIENCE?: string
	EDGECLAW_JWT_TENANT_CLAIM?: string
	EDGECLAW_JWT_ROLE_CLAIM?: string
	EDGECLAW_JWT_DEFAULT_ROLE?: string
	EDGECLAW_JWT_CLOCK_SKEW_SECONDS?: string
	/** Analytics Engine SQL API: the account to query, a read-only token (Account Analytics: Read)
	 * and the endpoint (unset = Cloudflare's API). Without account and token the metrics API reads
	 * the D1 rollups. */
	EDGECLAW_METRICS_ACCOUNT_ID?: string
	EDGECLAW_METRICS_API_TOKEN?: string
	EDGECLAW_METRICS_SQL_URL?: string
	/** The built-in providers' default keys: tenants reach them only through EDGECLAW_SHARED_SECRETS. */
	ANTHROPIC_API_KEY?: string
	OPENAI_API_KEY?: string
	/** Vectorize index of agent memory (wrangler.toml, commented out): semantic recall when bound. */
	MEMORY_INDEX?: Vectorize
}

declare namespace Cloudflare {
	interface Env extends EdgeclawOptionalEnv {}
}

interface Env extends EdgeclawOptionalEnv {}
