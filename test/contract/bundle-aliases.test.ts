// The build-time stand-ins of wrangler.toml's `[alias]` (src/bundle), as wrangler applies them:
// the unit tests run in vitest, which resolves the packages themselves, so this bundles a probe
// Worker with wrangler and the same aliases, runs it in Node and asks it what each stand-in does
// — zod's messages and locales, the MCP client, the Workers AI provider's helper — and checks that
// what they replace is not in the Worker's bundle at all. Node-side: nothing is deployed.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse, stringify } from 'smol-toml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const config = parse(readFileSync(join(root, 'wrangler.toml'), 'utf8')) as {
	alias: Record<string, string>
	compatibility_date: string
	compatibility_flags: string[]
}
// Under the repo (dist/ is ignored) so that the probe resolves the project's packages.
const dir = join(root, 'dist', 'bundle-aliases-probe')

const PROBE = `
import { z } from 'zod'
import { generateId } from 'ai'
import { Client } from '../../src/tools/mcp-sdk'

const attempt = (f) => { try { f(); return 'built' } catch (e) { return e.message } }
export default {
	async fetch() {
		const parsed = z.object({ name: z.string().min(3), n: z.number().int() }).safeParse({ name: 'x', n: 1.5 })
		const validator = { getValidator: () => (input) => ({ valid: true, data: input, errorMessage: undefined }) }
		return Response.json({
			messages: parsed.error.issues.map((i) => i.message),
			locales: Object.keys(z.locales),
			mcpWithValidator: attempt(() => new Client({ name: 'p', version: '1' }, { jsonSchemaValidator: validator })),
			mcpWithout: attempt(() => new Client({ name: 'p', version: '1' })),
			id: generateId(),
		})
	},
}
`

function wrangler(args: string[], cwd: string): string {
	const run = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), args, {
		cwd,
		encoding: 'utf8',
		env: { ...process.env, CI: '1' },
	})
	if (run.status !== 0) throw new Error(`wrangler ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`)
	return run.stdout
}

let probe: Record<string, unknown>
let inputs: string[]

beforeAll(async () => {
	rmSync(dir, { recursive: true, force: true })
	mkdirSync(dir, { recursive: true })
	writeFileSync(join(dir, 'probe.mjs'), PROBE)
	writeFileSync(
		join(dir, 'wrangler.toml'),
		stringify({
			name: 'bundle-aliases-probe',
			main: 'probe.mjs',
			compatibility_date: config.compatibility_date,
			compatibility_flags: config.compatibility_flags,
			// wrangler resolves an alias from the config's directory: the same files, absolute.
			alias: Object.fromEntries(
				Object.entries(config.alias).map(([from, to]) => [from, resolve(root, to)]),
			),
		}),
	)
	wrangler(['deploy', '--dry-run', '--outdir', 'out'], dir)
	const worker = await import(pathToFileURL(join(dir, 'out', 'probe.js')).href)
	probe = await (await worker.default.fetch(new Request('http://probe/'))).json()
	// The Worker itself, as `wrangler deploy` bundles it: which package files it holds.
	wrangler(
		[
			'deploy',
			'--dry-run',
			'--containers-rollout=none',
			'--outdir',
			join(dir, 'worker'),
			'--metafile',
			join(dir, 'meta.json'),
		],
		root,
	)
	const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'))
	inputs = Object.keys(meta.inputs)
}, 180_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the bundle aliases', () => {
	it("keep zod's English messages and only its English locale", () => {
		expect(probe.messages).toEqual([
			'Too small: expected string to have >=3 characters',
			'Invalid input: expected int, received number',
		])
		expect(probe.locales).toEqual(['en'])
	})

	it('let the MCP client be built with a validator, and fail loudly without one', () => {
		expect(probe.mcpWithValidator).toBe('built')
		expect(probe.mcpWithout).toBe(
			'ajv is not in the Worker bundle: pass the MCP client a jsonSchemaValidator',
		)
	})

	it("give the Workers AI provider the AI SDK's id generator", () => {
		expect(probe.id).toMatch(/^[0-9A-Za-z]{16}$/)
	})

	it('leave what they replace out of the Worker', () => {
		const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]
		const packages = new Set(inputs.map(packageOf))
		for (const replaced of ['ajv', 'ajv-formats', 'ai', '@ai-sdk/gateway']) {
			expect(packages.has(replaced), replaced).toBe(false)
		}
		const locales = inputs.filter((p) => p.includes('zod/v4/locales/'))
		expect(locales.map((p) => p.replace(/.*\//, ''))).toEqual(['en.js'])
	})
})
