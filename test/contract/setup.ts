// Global setup of the client contract tests and the browser tests: a real `wrangler dev` (local
// workerd, fresh local D1 with the migrations applied, the built web app as its assets) on a free
// port, agents and API keys in it. The tests then speak to it over real HTTP and WebSockets, with
// the real client libraries and a real browser.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startProduct } from '../../bench/lib.mjs'
import { ADMIN_TOKEN } from '../admin-token.js'

declare module 'vitest' {
	export interface ProvidedContext {
		baseUrl: string
		apiKey: string
		viewerKey: string
		operatorKey: string
		/** An agent whose `time_now` needs approval (GUARDED_AGENT). */
		guardedAgent: string
	}
}

const root = join(import.meta.dirname, '..', '..')

/**
 * An agent whose one tool waits for a human: `/tool time_now {}` asks for approval (the browser
 * tests' approval card). The deadline is far beyond any test, so none expires while one runs.
 */
const GUARDED_AGENT = {
	id: 'guarded',
	name: 'guarded',
	config: {
		model: { primary: 'offline:echo' },
		tools: {
			profile: 'minimal',
			allow: ['time_now'],
			elevated: ['time_now'],
			approvalTimeoutMs: 600_000,
		},
	},
}

export default async function setup(project: TestProject) {
	// wrangler.toml serves dist/web as the Worker's assets: without a build the app is not there
	// (and the browser tests would fail far from the cause).
	if (!existsSync(join(root, 'dist', 'web', 'index.html')))
		throw new Error('dist/web/index.html is missing: build the web app first (npm run build:web)')
	const state = mkdtempSync(join(tmpdir(), 'edgeclaw-contract-'))
	const worker = await startProduct({
		cwd: root,
		state,
		vars: { EDGECLAW_LOG_LEVEL: 'error', EDGECLAW_ADMIN_TOKEN: ADMIN_TOKEN },
	})
	const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
	const post = async (path: string, body: unknown) => {
		const res = await fetch(`${worker.url}${path}`, {
			method: 'POST',
			headers: admin,
			body: JSON.stringify(body),
		})
		if (!res.ok && res.status !== 409) throw new Error(`${path}: ${res.status} ${await res.text()}`)
		return (await res.json()) as Record<string, unknown>
	}
	await post('/v1/agents', {
		id: 'main',
		name: 'main',
		config: { model: { primary: 'offline:echo' } },
	})
	await post('/v1/agents', GUARDED_AGENT)
	const member = await post('/v1/keys', { name: 'contract member', role: 'member' })
	const viewer = await post('/v1/keys', { name: 'contract viewer', role: 'viewer' })
	const operator = await post('/v1/keys', { name: 'contract operator', role: 'operator' })
	project.provide('baseUrl', worker.url)
	project.provide('apiKey', member.secret as string)
	project.provide('viewerKey', viewer.secret as string)
	project.provide('operatorKey', operator.secret as string)
	project.provide('guardedAgent', GUARDED_AGENT.id)
	return async () => {
		await worker.stop()
		rmSync(state, { recursive: true, force: true })
	}
}
