// The smallest useful Worker: the startup baseline for `bench/cold.mjs`.
import { Hono } from 'hono'

export default new Hono().get('/', (c) => c.text('ok'))
