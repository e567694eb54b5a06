// The peer type-checks without worker-configuration.d.ts (tsconfig.peer.json): an Agents SDK
// agent's Env must extend the global `Cloudflare.Env`, which that file fills with the product's
// bindings. The product modules the peer imports (the offline model and what it pulls in) name
// the product's global `Env` only for these variables.
interface Env {
	EDGECLAW_LOG_LEVEL: string
	EDGECLAW_ADMIN_TOKEN: string
	EDGECLAW_SECRETS_KEY: string
	EDGECLAW_AUDIT_KEY: string
}
