// The floor for edgeclaw's benchmarks: the least work a gateway → lane round trip can do here.
import { DurableObject } from 'cloudflare:workers'
import { Hono } from 'hono'

interface FloorEnv {
	FLOOR: DurableObjectNamespace<FloorLane>
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

const app = new Hono<{ Bindings: FloorEnv }>()
app.get('/bare', (c) => c.json({ status: 'ok' }))
app.post('/append/:lane', async (c) => {
	const seq = await c.env.FLOOR.getByName(c.req.param('lane')).append(await c.req.text())
	return c.json({ seq })
})

export default app
