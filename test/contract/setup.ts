// Global setup of the client contract tests: a real `wrangler dev` (local workerd, fresh local
// D1 with the migrations applied) on a free port, an agent and an API key in it. The tests then
// speak to it over real HTTP and WebSockets, with the real client libraries.
import { mkdtempSync, rmSync } from 'node:fs'
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
	}
}

const root = join(import.meta.dirname, '..', '..')

export default async function setup(project: TestProject) {
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
	const member = await post('/v1/keys', { name: 'contract member', role: 'member' })
	const viewer = await post('/v1/keys', { name: 'contract viewer', role: 'viewer' })
	project.provide('baseUrl', worker.url)
	project.provide('apiKey', member.secret as string)
	project.provide('viewerKey', viewer.secret as string)
	return async () => {
		await worker.stop()
		rmSync(state, { recursive: true, force: true })
	}
}
