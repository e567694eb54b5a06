// Request and response schemas of the sessions API, shared by its route files.
import { z } from '@hono/zod-openapi'
import { Slug } from '../../../agents/config'
import type { SessionRow } from '../../../db/sessions'
import { SessionKey } from '../../../lanes/name'
import { QUEUE_MODES, RUN_STATUSES } from '../../../lanes/types'
import type { Span } from '../../../observability/spans'

export const MAX_CONTENT_CHARS = 100_000

const TextPartSchema = z
	.object({ type: z.literal('text'), text: z.string().max(MAX_CONTENT_CHARS) })
	.strict()

const notBlank = (parts: { text: string }[]) => parts.some((p) => p.text.trim().length > 0)

export const Content = z
	.union([z.string().max(MAX_CONTENT_CHARS), z.array(TextPartSchema).min(1).max(32)])
	.transform((c) => (typeof c === 'string' ? [{ type: 'text' as const, text: c }] : c))
	.refine(notBlank, 'must contain some non-blank text')
	.refine(
		(parts) => parts.reduce((n, p) => n + p.text.length, 0) <= MAX_CONTENT_CHARS,
		`must be at most ${MAX_CONTENT_CHARS} characters in all`,
	)

export const IdempotencyKey = z
	.string()
	.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 chars of A-Z, a-z, 0-9 and ._:-')

export const SubmitBody = z
	.object({
		agent: Slug.default('main'),
		content: Content,
		idempotencyKey: IdempotencyKey.optional(),
		mode: z.enum(QUEUE_MODES).default('followup'),
		wait: z.boolean().default(false),
		waitTimeoutMs: z.number().int().min(1).max(300_000).default(60_000),
	})
	.strict()
	.openapi('SubmitMessage')

export const SessionParams = z.object({ sessionKey: SessionKey })
export const RunParams = z.object({
	sessionKey: SessionKey,
	runId: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'is not a run id'),
})
export const AgentQuery = z.object({ agent: Slug.default('main') })

const Usage = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() })

const ModelCall = z.object({
	model: z.string(),
	profile: z.string().optional(),
	inputTokens: z.number().int(),
	outputTokens: z.number().int(),
	startedAt: z.number().optional(),
	latencyMs: z.number(),
	outcome: z.string(),
	status: z.number().int().optional(),
	failover: z.boolean().optional(),
})

/** Message parts: text, a tool call the model made, a tool's result. */
const MessagePartSchema = z.union([
	z.object({ type: z.literal('text'), text: z.string() }),
	z.object({
		type: z.literal('tool-call'),
		callId: z.string(),
		name: z.string(),
		args: z.string(),
	}),
	z.object({
		type: z.literal('tool-result'),
		callId: z.string(),
		name: z.string(),
		result: z.string(),
		isError: z.boolean().optional(),
	}),
])

export const RunSchema = z
	.object({
		runId: z.string(),
		status: z.enum(RUN_STATUSES),
		mode: z.enum(QUEUE_MODES),
		attempt: z.number().int(),
		waitingForSlot: z.boolean(),
		createdAt: z.number(),
		startedAt: z.number().nullable(),
		finishedAt: z.number().nullable(),
		deadlineAt: z.number().nullable(),
		output: z.string().nullable(),
		model: z.string().nullable(),
		usage: Usage.nullable(),
		error: z.object({ code: z.string(), message: z.string() }).nullable(),
		calls: z.array(ModelCall),
		pendingInput: z.number().int(),
		traceId: z
			.string()
			.nullable()
			.openapi({ description: 'The W3C trace id the run carries (GET …/trace for its spans)' }),
		clientToolCalls: z
			.array(
				z.object({
					type: z.literal('tool-call'),
					callId: z.string(),
					name: z.string(),
					args: z.string(),
				}),
			)
			.optional()
			.openapi({
				description:
					'Client tool calls the run ended with (OpenAI-style requests with `tools`), for the client to run; absent when none',
			}),
		children: z
			.array(
				z.object({
					sessionKey: z.string(),
					agentId: z.string(),
					runId: z.string(),
					status: z.string().openapi({
						description: "`queued` until the child run's end is announced back, then its status",
					}),
					usage: Usage.nullable(),
				}),
			)
			.optional()
			.openapi({
				description:
					'Runs this run started in child sessions (sessions_spawn, sessions_send), with their usage once announced; absent when none',
			}),
	})
	.openapi('Run')

/** A span of a run's trace and the spans within it (src/observability/spans.ts). */
export const SpanSchema: z.ZodType<Span> = z
	.lazy(() =>
		z.object({
			id: z.string(),
			kind: z.enum([
				'run',
				'queue',
				'compaction',
				'model',
				'tool',
				'tool.queue',
				'tool.exec',
				'approval',
			]),
			name: z.string(),
			startedAt: z.number().openapi({ description: 'Epoch ms' }),
			durationMs: z.number().nullable().openapi({ description: 'Null while the span is open' }),
			status: z.enum(['ok', 'error', 'cancelled', 'running']),
			attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
			children: z.array(SpanSchema).openapi({ description: 'In start order' }),
		}),
	)
	.openapi('Span')

export const RunTraceSchema = z
	.object({
		traceId: z
			.string()
			.nullable()
			.openapi({ description: 'The W3C trace id; null for runs started without one' }),
		runId: z.string(),
		agentId: z.string(),
		sessionKey: z.string(),
		root: SpanSchema,
	})
	.openapi('RunTrace')

export const SubmitResult = z
	.object({
		runId: z.string(),
		status: z.enum(RUN_STATUSES),
		disposition: z.enum(['queued', 'collected', 'steered']),
		duplicate: z.boolean(),
		output: z.string().nullable().optional(),
		usage: Usage.nullable().optional(),
		error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
	})
	.openapi('SubmitResult')

export const MessageSchema = z
	.object({
		seq: z.number().int(),
		id: z.string(),
		runId: z.string().nullable(),
		role: z.enum(['user', 'assistant', 'system', 'tool']),
		kind: z.enum(['message', 'summary']),
		content: z.array(MessagePartSchema),
		tokens: z.number().int(),
		compacted: z.boolean(),
		createdAt: z.number(),
	})
	.openapi('Message')

export const SessionSchema = z
	.object({
		sessionKey: z.string(),
		agent: z.string(),
		createdAt: z.number(),
		updatedAt: z.number(),
		messages: z.object({
			active: z.number().int(),
			compacted: z.number().int(),
			bytes: z.number().int(),
			tokens: z.number().int(),
		}),
		runs: z.object({
			queued: z.number().int(),
			running: z.number().int(),
			total: z.number().int(),
		}),
		activeRunId: z.string().nullable(),
		lastEventSeq: z.number().int(),
		compactions: z.number().int(),
	})
	.openapi('Session')

export const SessionSummarySchema = z
	.object({
		sessionKey: z.string(),
		agent: z.string(),
		messageCount: z.number().int(),
		lastRunId: z.string().nullable(),
		lastRunStatus: z.enum(RUN_STATUSES).nullable(),
		/** Runs waiting in the session's queue (as of the index's last write). */
		queuedRuns: z.number().int(),
		/** Epoch ms since a run of the session has been stuck past its deadline; null = not stuck. */
		stuckSince: z.number().nullable(),
		createdAt: z.number(),
		updatedAt: z.number(),
	})
	.openapi('SessionSummary')

/** A session's row of the D1 index as the API shows it. */
export const sessionSummary = (s: SessionRow): z.infer<typeof SessionSummarySchema> => ({
	sessionKey: s.sessionKey,
	agent: s.agentId,
	messageCount: s.messageCount,
	lastRunId: s.lastRunId,
	lastRunStatus: s.lastRunStatus,
	queuedRuns: s.queuedRuns,
	stuckSince: s.stuckSince,
	createdAt: s.createdAt.getTime(),
	updatedAt: s.updatedAt.getTime(),
})
