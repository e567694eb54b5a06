// Structured JSON logs: one object per line, so Workers Logs indexes every field. Every line
// carries the request id and, when known, tenant and session; everything passes redaction.
import { createRedactor, redact as defaultRedact, type Redactor } from '../security/redact'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface LogFields {
	requestId?: string
	tenant?: string
	session?: string
	[field: string]: unknown
}

/** Where lines go; `console` in the Worker, an array in tests. */
export interface LogSink {
	log(line: string): void
	warn(line: string): void
	error(line: string): void
}

export interface LoggerOptions {
	level?: LogLevel
	redact?: Redactor
	sink?: LogSink
	now?: () => number
}

export function parseLogLevel(value: string | undefined): LogLevel {
	return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info'
}

export class Logger {
	readonly #fields: LogFields
	readonly #min: number
	readonly #options: Required<LoggerOptions>

	constructor(fields: LogFields = {}, options: LoggerOptions = {}) {
		this.#fields = fields
		this.#options = {
			level: options.level ?? 'info',
			redact: options.redact ?? defaultRedact,
			sink: options.sink ?? console,
			now: options.now ?? Date.now,
		}
		this.#min = RANK[this.#options.level]
	}

	/** A logger that adds `fields` to every line. */
	child(fields: LogFields): Logger {
		return new Logger({ ...this.#fields, ...fields }, this.#options)
	}

	debug(msg: string, data?: Record<string, unknown>): void {
		this.#write('debug', msg, data)
	}
	info(msg: string, data?: Record<string, unknown>): void {
		this.#write('info', msg, data)
	}
	warn(msg: string, data?: Record<string, unknown>): void {
		this.#write('warn', msg, data)
	}
	error(msg: string, data?: Record<string, unknown>): void {
		this.#write('error', msg, data)
	}

	#write(level: LogLevel, msg: string, data?: Record<string, unknown>): void {
		if (RANK[level] < this.#min) return
		const entry = {
			ts: new Date(this.#options.now()).toISOString(),
			level,
			msg,
			...this.#fields,
			...data,
		}
		const line = JSON.stringify(this.#options.redact(entry))
		const sink = this.#options.sink
		if (level === 'error') sink.error(line)
		else if (level === 'warn') sink.warn(line)
		else sink.log(line)
	}
}

/**
 * The Worker's logger: level from EDGECLAW_LOG_LEVEL; the admin token, the data keys and the
 * metrics API token scrubbed from every line. Tenant secret values are never handed to a logger at all.
 */
export function loggerFromEnv(
	env: Pick<Env, 'EDGECLAW_LOG_LEVEL' | 'EDGECLAW_ADMIN_TOKEN'> &
		Partial<
			Pick<Env, 'EDGECLAW_SECRETS_KEY' | 'EDGECLAW_AUDIT_KEY' | 'EDGECLAW_METRICS_API_TOKEN'>
		>,
	fields: LogFields = {},
	options: Pick<LoggerOptions, 'sink' | 'now'> = {},
): Logger {
	return new Logger(fields, { ...options, ...envLogging(env) })
}

/** The level and redactor of the last env seen: every request would build the same ones. */
let lastEnv: { key: readonly (string | undefined)[]; level: LogLevel; redact: Redactor } | undefined

function envLogging(
	env: Parameters<typeof loggerFromEnv>[0],
): Pick<NonNullable<typeof lastEnv>, 'level' | 'redact'> {
	const key = [
		env.EDGECLAW_LOG_LEVEL,
		env.EDGECLAW_ADMIN_TOKEN,
		env.EDGECLAW_SECRETS_KEY,
		env.EDGECLAW_AUDIT_KEY,
		env.EDGECLAW_METRICS_API_TOKEN,
	]
	if (!lastEnv || key.some((v, i) => v !== lastEnv?.key[i]))
		lastEnv = {
			key,
			level: parseLogLevel(env.EDGECLAW_LOG_LEVEL),
			redact: createRedactor(key.slice(1)),
		}
	return lastEnv
}
