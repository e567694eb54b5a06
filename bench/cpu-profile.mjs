// Where a turn's CPU goes: a V8 CPU profile of the Worker's isolate (every Durable Object of the
// Worker runs in it) over the inspector while turns run, each sample's self time charged to the
// source file the bundle's source map names, grouped by area (src/lanes, hono, zod, the runtime's
// own APIs such as SQLite `exec`, …).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { join } from 'node:path'
import { inspectorSession } from './heap.mjs'
import { grid } from './lib.mjs'

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number, columnNumber: number }, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} CpuProfile
 */

/**
 * Profiles the isolate behind `inspectorPort` while `work` runs.
 * @param {number} inspectorPort @param {() => Promise<void>} work
 * @returns {Promise<CpuProfile>}
 */
export async function cpuProfile(inspectorPort, work) {
	const session = await inspectorSession(inspectorPort)
	/** @type {{ profile: CpuProfile }} */
	let stopped
	try {
		await session.call('Profiler.enable')
		await session.call('Profiler.setSamplingInterval', { interval: 100 })
		await session.call('Profiler.start')
		try {
			await work()
		} finally {
			stopped = await session.call('Profiler.stop')
		}
		return stopped.profile
	} finally {
		session.close()
	}
}

/** The area a source file belongs to. @param {string} source */
export function areaOf(source) {
	// drizzle-orm's source map names its files `src/…` under the package, which resolves to
	// node_modules/src/….
	if (/node_modules\/src\//.test(source)) return 'drizzle-orm'
	const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)
	if (nm) {
		const pkg = nm[1] ?? ''
		if (pkg === 'ai' || pkg.startsWith('@ai-sdk/')) return 'AI SDK'
		return pkg
	}
	const own = /(?:^|\/)(src\/[^/]+|durable-objects)\//.exec(source)
	if (own) return own[1] ?? source
	if (/(?:^|\/)src\/[^/]+$/.test(source)) return 'src (top level)'
	if (source === 'index.js') return '(bundle, unmapped)'
	return source.replace(/^.*\//, '') || '(unknown)'
}

/** The runtime's own functions that are SQLite in a Durable Object's storage. */
const SQLITE = new Set(['exec', 'one', 'toArray', 'raw', 'next', 'transactionSync', 'columnNames'])

/** A frame without a script: V8's own, or one of the runtime's APIs. @param {string} name */
function runtimeArea(name) {
	if (name.startsWith('(')) return name
	if (SQLITE.has(name) || name.startsWith('get rows')) return 'runtime: SQLite'
	if (name.endsWith(' kv')) return 'runtime: storage kv'
	return `runtime: ${name || '(anonymous)'}`
}

/**
 * The source map of the bundle `wrangler dev` serves from `cwd` (its newest build under
 * .wrangler/tmp, which exists while it runs), or null.
 * @param {string} cwd
 */
export function bundleSourceMap(cwd) {
	const tmp = join(cwd, '.wrangler', 'tmp')
	if (!existsSync(tmp)) return null
	const maps = readdirSync(tmp)
		.map((d) => join(tmp, d, 'index.js.map'))
		.filter((f) => existsSync(f))
		.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
	return maps[0] ? new SourceMap(JSON.parse(readFileSync(maps[0], 'utf8'))) : null
}

/**
 * Self time per area (ms and share of the busy time), from a profile; frames of the bundle
 * (`index.js`) are mapped through its source map, frames without a script are the runtime's own
 * (their function name is kept: `exec`, `transactionSync`, `(garbage collector)`).
 * @param {CpuProfile} profile
 * @param {SourceMap | null} map the bundle's (bundleSourceMap)
 */
export function cpuByArea(profile, map) {
	/** @param {string} url */
	const mapOf = (url) => (url === 'index.js' ? map : null)
	/** @type {Map<number, string>} */
	const areaOfNode = new Map()
	for (const node of profile.nodes) {
		const { url, functionName, lineNumber, columnNumber } = node.callFrame
		let area
		if (!url) area = runtimeArea(functionName)
		else {
			const entry = mapOf(url)?.findEntry(lineNumber, columnNumber)
			area = areaOf(entry && 'originalSource' in entry ? String(entry.originalSource) : url)
		}
		areaOfNode.set(node.id, area)
	}
	/** @type {Map<string, number>} */
	const us = new Map()
	profile.samples.forEach((id, i) => {
		const area = areaOfNode.get(id) ?? '?'
		us.set(area, (us.get(area) ?? 0) + (profile.timeDeltas[i] ?? 0))
	})
	const idle = us.get('(idle)') ?? 0
	us.delete('(idle)')
	const busy = [...us.values()].reduce((a, b) => a + b, 0)
	return {
		busyMs: busy / 1000,
		idleMs: idle / 1000,
		areas: [...us]
			.map(([area, t]) => ({ area, ms: t / 1000, share: t / Math.max(1, busy) }))
			.sort((a, b) => b.ms - a.ms),
	}
}

/**
 * The CPU table: per kind of turn, the busy CPU per turn and its areas' shares (the top `top`).
 * @param {{ kind: string, turns: number, cpu: ReturnType<typeof cpuByArea> }[]} runs
 */
export function cpuTable(runs, top = 14) {
	const totals = new Map()
	for (const r of runs)
		for (const a of r.cpu.areas) totals.set(a.area, (totals.get(a.area) ?? 0) + a.share)
	const areas = [...totals]
		.sort((a, b) => b[1] - a[1])
		.slice(0, top)
		.map(([a]) => a)
	const rows = [
		['CPU ms per turn (busy)', ...runs.map((r) => (r.cpu.busyMs / r.turns).toFixed(2))],
		...areas.map((area) => [
			area,
			...runs.map((r) => {
				const a = r.cpu.areas.find((x) => x.area === area)
				return a ? `${(a.share * 100).toFixed(1)} %` : '·'
			}),
		]),
	]
	return grid(['self time', ...runs.map((r) => r.kind)], rows)
}
