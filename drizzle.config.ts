// drizzle-kit reads the schema and writes SQL migrations into migrations/ (wrangler's migrations_dir).
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
	dialect: 'sqlite',
	schema: ['./src/db/schema.ts', './src/db/observability-schema.ts', './src/db/memory-schema.ts'],
	out: './migrations',
})
