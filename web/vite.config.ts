// The web app (WebChat + console): built from web/ into dist/web, which wrangler.toml's [assets]
// serves. Hashed file names under /assets/ are cached for a year; index.html never is (the Worker
// serves it with its security headers, src/gateway/web.ts).
import { defineConfig } from 'vite'

export default defineConfig({
	root: import.meta.dirname,
	base: '/',
	build: {
		outDir: '../dist/web',
		// `npm run dev` rebuilds on change: write over the last build rather than empty it first.
		emptyOutDir: process.env.EDGECLAW_WEB_WATCH !== '1',
		assetsDir: 'assets',
		target: 'es2022',
		// No inline scripts or styles anywhere: the CSP has no 'unsafe-inline'.
		assetsInlineLimit: 0,
		modulePreload: { polyfill: false },
		sourcemap: false,
	},
	oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
})
