// The `cold` scenario: what `wrangler deploy` would upload (bundle and gzip size) and the Worker's
// startup — its global scope evaluated in a fresh local workerd — from `wrangler check startup`,
// which builds the Worker and profiles that phase. A one-route Hono Worker (`bench/cold/`) is the
// baseline: what starting any Worker costs here.
import { readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { quantile, runCommand } from './lib.mjs'

/** @param {number[]} xs */
const median = (xs) =>
	quantile(
		[...xs].sort((a, b) => a - b),
		0.5,
	)

/**
 * Busy (non-idle) time of a V8 CPU profile in ms.
 * @param {string} file
 */
function activeMs(file) {
	const profile =
		/** @type {{ nodes: { id: number, callFrame: { functionName: string } }[], samples: number[], timeDeltas: number[] }} */ (
			JSON.parse(readFileSync(file, 'utf8'))
		)
	const idle = new Set(
		profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id),
	)
	let us = 0
	profile.samples.forEach((node, i) => {
		if (!idle.has(node)) us += profile.timeDeltas[i] ?? 0
	})
	return us / 1000
}

/**
 * @param {{ cwd: string, state: string, config: string, name: string, runs: number }} o
 */
function startup(o) {
	const outfile = join(o.state, `${o.name}.cpuprofile`)
	/** @type {number[]} */
	const active = []
	/** @type {number[]} how many samples the profile holds: a small Worker's startup is a few */
	const samples = []
	let raw = Number.NaN
	let gzip = Number.NaN
	for (let i = 0; i < o.runs; i++) {
		const out = runCommand(
			'wrangler',
			[
				'check',
				'startup',
				'--outfile',
				outfile,
				...(o.config === 'wrangler.toml' ? ['--args=--containers-rollout=none'] : []),
			],
			join(o.cwd, dirname(o.config)),
		)
		const size = /Bundle: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(out)
		if (size) [raw, gzip] = [Number(size[1]), Number(size[2])]
		active.push(activeMs(outfile))
		samples.push(Number(/Samples: (\d+)/.exec(out)?.[1] ?? Number.NaN))
		rmSync(outfile, { force: true })
	}
	return {
		name: o.name,
		bundleKiB: raw,
		gzipKiB: gzip,
		startupMs: median(active),
		samples: median(samples),
		runs: o.runs,
	}
}

/** @param {{ cwd: string, state: string, runs: number }} o */
export function coldScenario(o) {
	return [
		startup({ ...o, config: 'wrangler.toml', name: 'edgeclaw' }),
		startup({ ...o, config: 'bench/cold/wrangler.toml', name: 'hono' }),
	]
}
