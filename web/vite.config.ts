// The web app (WebChat + console): built from web/ into dist/web, which wrangler.toml's [assets]
// serves. Hashed file names under /assets/ are cached for a year; index.html never is (the Worker
// serves it with its security headers, src/gateway/web.ts). docs.html is the API reference at /docs
// (web/src/docs): Swagger UI from the pinned swagger-ui-dist, bundled here like the app's own code.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url))

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
		rollupOptions: { input: { index: page('index.html'), docs: page('docs.html') } },
		// Swagger UI is one ~1.8 MB bundle (React included), loaded only by /docs.
		chunkSizeWarningLimit: 2048,
	},
	oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
})
