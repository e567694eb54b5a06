// The floor for edgeclaw's benchmarks: the least work a gateway → lane round trip can do here;
// and, side by side, one model step through edgeclaw's agent loop against the same provider call
// made raw, so the loop's own cost per step shows as a difference in one run; tool calls in
// tools.ts.
import { DurableObject } from 'cloudflare:workers'
import { Hono } from 'hono'
import { AgentConfig } from '../../src/agents/config'
import { AgentLoop } from '../../src/agents/loop'
import { type HealthBackend, HealthView } from '../../src/agents/models/health'
import { OfflineLanguageModel } from '../../src/agents/models/offline'
import type { AgentSnapshot, TurnIO } from '../../src/agents/runner'
import { Logger } from '../../src/observability/logger'
import { sessionStatus } from '../../src/tools/builtin/session-status'
import { timeNow } from '../../src/tools/builtin/time-now'
import { queue, type ToolsEnv, toolRoutes } from './tools'

export { ModelHealth } from '../../durable-objects/model-health'
export { FloorToolLane } from './tools'

interface FloorEnv extends ToolsEnv {
	FLOOR: DurableObjectNamespace<FloorLane>
	FLOOR_ALARM: DurableObjectNamespace<FloorAlarm>
	MODEL_HEALTH: DurableObjectNamespace
}

export class FloorLane extends DurableObject<FloorEnv> {
	constructor(ctx: DurableObjectState, env: FloorEnv) {
		super(ctx, env)
		ctx.storage.sql.exec(
			'CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)',
		)
	}

	append(body: string): number {
		return this.ctx.storage.sql
			.exec<{ seq: number }>('INSERT INTO log (body) VALUES (?) RETURNING seq', body)
			.one().seq
	}
}

/**
 * The floor of a schedule's fire: a bare Durable Object alarm set for a time, which records when
 * it ran (no D1, no turn). Many due at the same instant show the runtime's own alarm lateness.
 */
export class FloorAlarm extends DurableObject<FloorEnv> {
	async arm(at: number): Promise<void> {
		await this.ctx.storage.put('due', at)
		await this.ctx.storage.setAlarm(at)
	}

	override async alarm(): Promise<void> {
		await this.ctx.storage.put('fired', [
			...((await this.ctx.storage.get<number[]>('fired')) ?? []),
			Date.now(),
		])
	}

	async fired(): Promise<{ due: number | null; fired: number[] }> {
		const [due, fired] = await Promise.all([
			this.ctx.storage.get<number>('due'),
			this.ctx.storage.get<number[]>('fired'),
		])
		return { due: due ?? null, fired: fired ?? [] }
	}
}

const app = new Hono<{ Bindings: FloorEnv }>()
app.get('/bare', (c) => c.json({ status: 'ok' }))
app.post('/append/:lane', async (c) => {
	const seq = await c.env.FLOOR.getByName(c.req.param('lane')).append(await c.req.text())
	return c.json({ seq })
})
app.route('/', toolRoutes)
app.post('/alarms/:id', async (c) => {
	await c.env.FLOOR_ALARM.getByName(c.req.param('id')).arm(Number(c.req.query('at')))
	return c.body(null, 204)
})
app.get('/alarms/:id', async (c) =>
	c.json(await c.env.FLOOR_ALARM.getByName(c.req.param('id')).fired()),
)

// ── one model step: raw provider call vs. the agent loop ─────────────────────────────────────

const logger = new Logger({}, { level: 'error' })
let loop: AgentLoop | undefined
const loopFor = (env: FloorEnv): AgentLoop => {
	const health = new HealthView(
		() => env.MODEL_HEALTH.getByName('bench') as unknown as HealthBackend,
		logger,
	)
	loop ??= new AgentLoop({
		health: () => health,
		env: {},
		// The bench's model server is on loopback and needs no key.
		credentials: {
			resolve: async () => ({ ok: false, reason: 'not_found', message: 'no secrets in the floor' }),
		},
		urlRules: { httpsOnly: true, allowLoopback: true },
		logger,
	})
	return loop
}

const agentOf = (primary: string, baseURL?: string): AgentSnapshot => ({
	tenantId: 'bench',
	id: 'bench',
	version: 1,
	config: AgentConfig.parse({
		instructions: 'You are a benchmark.',
		model: { primary },
		...(baseURL ? { providers: { local: { kind: 'openai-compatible', baseURL } } } : {}),
	}),
})

const agents = new Map<string, AgentSnapshot>()
function cachedAgent(key: string, make: () => AgentSnapshot): AgentSnapshot {
	const hit = agents.get(key)
	if (hit) return hit
	const agent = make()
	agents.set(key, agent)
	return agent
}
/** The lane's own tools: their schemas are part of every step's prompt, as in a real turn. */
const TOOLS = [timeNow, sessionStatus]

const io: TurnIO = {
	delta() {},
	tool() {},
	invoke: async () => ({ ok: false, text: 'no tools in the floor benchmark' }),
	steer: () => [],
	hasSteer: () => false,
	commit() {},
	call() {},
}

async function runLoop(env: FloorEnv, agent: AgentSnapshot, text: string) {
	const result = await loopFor(env).runTurn(
		{
			runId: crypto.randomUUID(),
			session: { tenantId: 'bench', agentId: 'bench', sessionKey: 'bench' },
			agent,
			transcript: [],
			input: [{ role: 'user', content: [{ type: 'text', text }] }],
			signal: new AbortController().signal,
			deadline: Date.now() + 30_000,
			tools: TOOLS,
		},
		io,
	)
	return { text: result.text, usage: result.usage }
}

/** The provider call a step makes, made by hand: POST, stream, read every byte. */
app.get('/model/raw', async (c) => {
	const base = c.req.query('base') ?? ''
	const res = await fetch(`${base}/chat/completions`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			model: 'instant',
			stream: true,
			stream_options: { include_usage: true },
			messages: [
				{ role: 'system', content: 'You are a benchmark.' },
				{ role: 'user', content: c.req.query('text') ?? 'hello' },
			],
		}),
	})
	const body = await res.text()
	return c.json({ status: res.status, bytes: body.length })
})

app.get('/model/loop', async (c) => {
	const base = c.req.query('base') ?? ''
	const agent = cachedAgent(base, () => agentOf('local:instant', base))
	return c.json(await runLoop(c.env, agent, c.req.query('text') ?? 'hello'))
})

app.get('/offline/raw', async (c) => {
	const { stream } = await new OfflineLanguageModel().doStream({
		prompt: [
			{ role: 'system', content: 'You are a benchmark.' },
			{ role: 'user', content: [{ type: 'text', text: c.req.query('text') ?? 'hello' }] },
		],
	})
	let parts = 0
	const reader = stream.getReader()
	while (!(await reader.read()).done) parts++
	return c.json({ parts })
})

app.get('/offline/loop', async (c) => {
	const agent = cachedAgent('offline', () => agentOf('offline:echo'))
	return c.json(await runLoop(c.env, agent, c.req.query('text') ?? 'hello'))
})

export default { fetch: app.fetch, queue } satisfies ExportedHandler<FloorEnv>
