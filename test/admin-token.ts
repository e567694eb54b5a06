// The bootstrap admin token of every test Worker: vitest.config.ts binds it as
// EDGECLAW_ADMIN_TOKEN; the workerd tests (through test/helpers.ts) and the contract setup send it.
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'
