#!/usr/bin/env node
// The `edgeclaw` command. Node 22.18+ runs the CLI's TypeScript as it is (type stripping): inside
// this project npm puts the project's own Node 22 first on PATH, so `npx edgeclaw` just works.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
	console.error(
		`edgeclaw needs Node.js 22.18 or newer (this is ${process.version}); run it as \`npx edgeclaw\` inside the project, which brings its own Node 22.`,
	)
	process.exit(2)
}
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv)
