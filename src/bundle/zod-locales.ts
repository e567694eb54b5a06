// What the Worker bundle has instead of zod's table of every locale (wrangler.toml `[alias]`):
// zod reaches it as `z.locales`, and one namespace object kept whole keeps all 60 of them (40 KiB
// gzip); edgeclaw's messages are zod's English ones, its default, and nothing selects another.
export { default as en } from 'zod/v4/locales/en.js'
