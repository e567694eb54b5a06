// The `edgeclaw` CLI as a user runs it: the bin as a child process against `wrangler dev`, its
// exit codes, what it prints, and what it changed on the gateway. Each run gets its own config
// file and a working directory without a `.dev.vars`, so nothing leaks in from the checkout.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { describe, expect, inject, it } from 'vitest'
import { buildProgram } from '../../cli/main.ts'
import { ADMIN_TOKEN } from '../admin-token.js'

const root = join(import.meta.dirname, '..', '..')
const BIN = join(root, 'cli', 'bin.mjs')
const baseUrl = inject('baseUrl')
const guarded = inject('guardedAgent')

interface Run {
	code: number | null
	stdout: string
	stderr: string
}

interface CliOptions {
	input?: string
	env?: Record<string, string>
	cwd?: string
	/** Called with the child once it runs (to signal it, or write to it later). */
	drive?: (child: ReturnType<typeof spawn>, output: () => string) => Promise<void>
}

/** Runs `edgeclaw …` (the bin, on this Node 22) and resolves when it exits. */
function cli(args: string[], options: CliOptions = {}): Promise<Run> {
	const home = mkdtempSync(join(tmpdir(), 'edgeclaw-cli-'))
	const child = spawn(process.execPath, [BIN, ...args], {
		cwd: options.cwd ?? home,
		env: {
			...process.env,
			EDGECLAW_CONFIG: join(home, 'config.json'),
			EDGECLAW_URL: baseUrl,
			EDGECLAW_TOKEN: ADMIN_TOKEN,
			EDGECLAW_ADMIN_TOKEN: '',
			NO_COLOR: '1',
			...options.env,
		},
		stdio: ['pipe', 'pipe', 'pipe'],
	})
	let stdout = ''
	let stderr = ''
	child.stdout.on('data', (chunk) => {
		stdout += chunk
	})
	child.stderr.on('data', (chunk) => {
		stderr += chunk
	})
	const exited = new Promise<Run>((resolve) =>
		child.on('close', (code) => resolve({ code, stdout, stderr })),
	)
	void (async () => {
		if (options.drive) await options.drive(child, () => stdout)
		else child.stdin.end(options.input ?? '')
	})()
	return exited
}

/** Resolves once `output()` matches (the child printed it); the test's timeout bounds the wait. */
async function until(output: () => string, pattern: RegExp): Promise<void> {
	await expect.poll(output, { interval: 50 }).toMatch(pattern)
}

const json = <T>(run: Run): T => JSON.parse(run.stdout) as T

describe('edgeclaw --help', () => {
	const paths: string[][] = []
	const walk = (command: Command, path: string[]) => {
		paths.push(path)
		for (const sub of command.commands) if (sub.name() !== 'help') walk(sub, [...path, sub.name()])
	}
	walk(buildProgram(), [])

	it('covers every command', () => {
		expect(paths.map((p) => p.join(' '))).toEqual(
			expect.arrayContaining([
				'login',
				'status',
				'doctor',
				'chat',
				'send',
				'sessions list',
				'sessions delete',
				'logs',
				'agents set',
				'approvals approve',
				'keys rotate',
				'audit verify',
				'channels approve',
			]),
		)
	})

	it.each(paths.map((p) => [p.join(' ') || '(top level)', p]))('%s --help', async (_name, path) => {
		const run = await cli([...(path as string[]), '--help'])
		expect(run.code).toBe(0)
		expect(run.stdout).toContain(`Usage: edgeclaw ${(path as string[]).join(' ')}`.trimEnd())
	})
})

describe('edgeclaw', () => {
	it('login stores the url and token 0600, checked first; status then reads them', async () => {
		const home = mkdtempSync(join(tmpdir(), 'edgeclaw-login-'))
		const env = { EDGECLAW_CONFIG: join(home, 'config.json'), EDGECLAW_URL: '', EDGECLAW_TOKEN: '' }
		const login = await cli(['login', '--url', baseUrl, '--token-stdin'], {
			input: `${ADMIN_TOKEN}\n`,
			env,
		})
		expect(login.stderr).toBe('')
		expect(login.code).toBe(0)
		expect(login.stdout).toContain('signed in')
		const file = join(home, 'config.json')
		expect(statSync(file).mode & 0o777).toBe(0o600)
		expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: baseUrl, token: ADMIN_TOKEN })

		const status = await cli(['--json', 'status'], { env })
		expect(status.code).toBe(0)
		const report = json<{ ready: boolean; token: string; principal: { kind: string } }>(status)
		expect(report).toMatchObject({ ready: true, token: 'config', principal: { kind: 'platform' } })
		// The stored token is for that url only: asked about another, the CLI has none to send.
		const elsewhere = await cli(['--url', 'http://127.0.0.1:9', 'agents', 'list'], { env })
		expect(elsewhere.code).toBe(3)
		expect(elsewhere.stderr).toContain('not signed in to http://127.0.0.1:9')
	})

	it('status says what runs: alive, ready, sandbox backends, who you are', async () => {
		const run = await cli(['status'])
		expect(run.code).toBe(0)
		expect(run.stdout).toMatch(/alive, version \S+/)
		expect(run.stdout).toMatch(/ready: d1 \d+ ms, lane \d+ ms/)
		expect(run.stdout).toContain('sandbox: isolate available')
		expect(run.stdout).toContain('signed in as platform admin-token (admin, tenant default')
	})

	it('send: the answer as text, as JSON, and a message from stdin', async () => {
		const text = await cli(['send', '--session', 'cli-send', 'hello', 'there'])
		expect(text).toMatchObject({ code: 0, stdout: 'echo: hello there\n' })

		const asJson = await cli(['--json', 'send', '--session', 'cli-send', 'again'])
		expect(asJson.code).toBe(0)
		expect(json(asJson)).toMatchObject({ status: 'succeeded', output: 'echo: again', error: null })

		const piped = await cli(['send', '--session', 'cli-send'], { input: 'from stdin\n' })
		expect(piped).toMatchObject({ code: 0, stdout: 'echo: from stdin\n' })

		// A failing run exits 1 and says why.
		const failed = await cli(['send', '--session', 'cli-send', '/fail 400'])
		expect(failed.code).toBe(1)
		expect(failed.stderr).toMatch(/error: .+ \(\w+, run [0-9a-f-]+\)/)
	})

	it('chat from stdin: streams each answer, and a tool call waits for the approval typed at the prompt', async () => {
		const run = await cli(['chat', '--agent', guarded, '--session', 'cli-chat'], {
			input: 'hello\n/tool time_now {}\ny\nbye\n',
		})
		expect(run.code).toBe(0)
		expect(run.stdout).toContain('guarded › echo: hello')
		expect(run.stderr).toContain('approval needed: time_now')
		expect(run.stdout).toContain('approval allow-once by admin-token')
		expect(run.stdout).toContain('↳ time_now ok')
		expect(run.stdout).toContain('guarded › time_now returned')
		expect(run.stdout).toContain('guarded › echo: bye')
		// The transcript holds all three turns.
		const show = await cli(['--json', 'sessions', 'show', 'cli-chat', '--agent', guarded])
		expect(json<{ runs: { total: number } }>(show).runs.total).toBe(3)
	})

	it('chat: Ctrl-C cancels the running turn, and the chat goes on', async () => {
		const run = await cli(['--json', 'chat', '--session', 'cli-cancel'], {
			drive: async (child, output) => {
				child.stdin?.write('/slow 600000 never\n')
				await until(output, /"type":"started"/)
				child.kill('SIGINT')
				await until(output, /"type":"cancelled"/)
				child.stdin?.end('after\n')
			},
		})
		expect(run.code).toBe(0)
		expect(run.stderr).toContain('cancelling the turn')
		const events = run.stdout
			.trim()
			.split('\n')
			.map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> })
		expect(events.find((e) => e.type === 'cancelled')?.data).toEqual({ reason: 'cancelled' })
		expect(events.find((e) => e.type === 'final')?.data.output).toBe('echo: after')
	})

	it('approvals: a waiting call is listed, approved by id alone, and the run finishes', async () => {
		const submitted = await cli([
			'--json',
			'send',
			'--agent',
			guarded,
			'--session',
			'cli-approve',
			'--no-wait',
			'/tool time_now {}',
		])
		expect(submitted.code).toBe(0)
		const { runId } = json<{ runId: string }>(submitted)
		let approvalId = ''
		await expect
			.poll(async () => {
				const list = await cli(['--json', 'approvals', 'list', '--agent', guarded])
				const hit = json<{ approvals: { id: string; runId: string }[] }>(list).approvals.find(
					(a) => a.runId === runId,
				)
				approvalId = hit?.id ?? ''
				return approvalId
			})
			.not.toBe('')
		const approved = await cli(['approvals', 'approve', approvalId])
		expect(approved.code).toBe(0)
		expect(approved.stdout).toContain(`${approvalId} (time_now): allowed`)
		// Decided already: 409, exit 1, the problem's code and request id printed.
		const again = await cli([
			'approvals',
			'deny',
			approvalId,
			'--session',
			'cli-approve',
			'--agent',
			guarded,
		])
		expect(again.code).toBe(1)
		expect(again.stderr).toMatch(/\(conflict, request [0-9a-f-]+\)/)
		const logs = await cli(['--json', 'logs', 'cli-approve', '--agent', guarded])
		expect(logs.code).toBe(0)
		const types = logs.stdout
			.trim()
			.split('\n')
			.map((line) => (JSON.parse(line) as { type: string }).type)
		expect(types).toEqual(
			expect.arrayContaining(['approval.requested', 'approval.resolved', 'final']),
		)
	})

	it('keys: create prints the secret once, the key works, revoke ends it, a second revoke is 404', async () => {
		const created = await cli(['--json', 'keys', 'create', '--name', 'cli key', '--role', 'viewer'])
		expect(created.code).toBe(0)
		const { key, secret } = json<{ key: { id: string; role: string }; secret: string }>(created)
		expect(key.role).toBe('viewer')
		const asViewer = await cli(['agents', 'list'], { env: { EDGECLAW_TOKEN: secret } })
		expect(asViewer.code).toBe(0)
		expect(asViewer.stdout).toContain(guarded)

		const unconfirmed = await cli(['keys', 'revoke', key.id])
		expect(unconfirmed.code).toBe(2)
		expect(unconfirmed.stderr).toContain('pass --yes')
		const revoked = await cli(['keys', 'revoke', key.id, '--yes'])
		expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${key.id}\n` })
		const twice = await cli(['keys', 'revoke', key.id, '--yes'])
		expect(twice.code).toBe(4)
		expect(twice.stderr).toMatch(/\(not_found, request [0-9a-f-]+\)/)
	})

	it('audit verify: the chain holds (exit 0), and it lists what the CLI did', async () => {
		const verify = await cli(['--json', 'audit', 'verify'])
		expect(verify.code).toBe(0)
		expect(json<{ ok: boolean; rows: number }>(verify)).toMatchObject({ ok: true })
		const list = await cli(['audit', 'list', '--action', 'key.created', '--limit', '5'])
		expect(list.code).toBe(0)
		expect(list.stdout).toContain('key.created')
	})

	it('a refused token exits 3 and a missing thing 4, each with the problem code and request id', async () => {
		const refused = await cli(['agents', 'list'], {
			env: { EDGECLAW_TOKEN: 'ek_0000000000000000_wrong' },
		})
		expect(refused.code).toBe(3)
		expect(refused.stderr).toMatch(/\(unauthorized, request [0-9a-f-]+\)/)
		expect(refused.stderr).toContain('edgeclaw login')

		const missing = await cli(['agents', 'get', 'no-such-agent'])
		expect(missing.code).toBe(4)
		expect(missing.stderr).toMatch(/\(not_found, request [0-9a-f-]+\)/)
		const asJson = await cli(['--json', 'sessions', 'show', 'no-such-session'])
		expect(asJson.code).toBe(4)
		expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { status: 404, code: 'not_found' } })
	})

	it('usage errors exit 2 and say what is wrong', async () => {
		const unknown = await cli(['sessions', 'list', '--bogus'])
		expect(unknown.code).toBe(2)
		expect(unknown.stderr).toContain("unknown option '--bogus'")
		const missing = await cli(['agents', 'set', 'x'])
		expect(missing.code).toBe(2)
		expect(missing.stderr).toContain("required option '-f, --file <file>'")
		const badUrl = await cli(['--url', 'not a url', 'status'])
		expect(badUrl.code).toBe(2)
	})

	it('agents set creates from a file, then replaces it as a new version', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'edgeclaw-agent-'))
		const file = join(dir, 'agent.json')
		const { writeFileSync } = await import('node:fs')
		writeFileSync(
			file,
			JSON.stringify({ name: 'From file', config: { model: { primary: 'offline:echo' } } }),
		)
		const created = await cli(['agents', 'set', 'cli-agent', '-f', file])
		expect(created).toMatchObject({ code: 0, stdout: 'cli-agent is at version 1\n' })
		const replaced = await cli(['agents', 'set', 'cli-agent', '-f', file])
		expect(replaced).toMatchObject({ code: 0, stdout: 'cli-agent is at version 2\n' })
		const versions = await cli(['--json', 'agents', 'versions', 'cli-agent'])
		expect(json<{ versions: unknown[] }>(versions).versions.length).toBeGreaterThanOrEqual(1)
		writeFileSync(file, '{not json')
		const bad = await cli(['agents', 'set', 'cli-agent', '-f', file])
		expect(bad.code).toBe(2)
		expect(bad.stderr).toContain('is not JSON')
	})
})
