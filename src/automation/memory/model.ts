// What agent memory is, for everyone who handles it (tools, API, lane): the limits, the input
// schemas, who owns a memory and which memories a reader sees. No I/O here.
import { z } from 'zod'

export const MEMORY_LIMITS = {
	/** Characters of one memory's text. */
	textChars: 4_000,
	/** Memories of one agent in one tenant, every user's included. */
	perAgent: 10_000,
	tags: 10,
	tagChars: 40,
	/** Results of one search or page of a list. */
	maxResults: 50,
	/** Characters of a search query. */
	queryChars: 500,
} as const

export const MemoryTag = z
	.string()
	.trim()
	.min(1)
	.max(MEMORY_LIMITS.tagChars)
	.regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, 'must be letters, digits, spaces, "_", "." or "-"')

export const MemoryText = z.string().trim().min(1).max(MEMORY_LIMITS.textChars)

export const MemoryInput = z
	.object({
		text: MemoryText,
		tags: z.array(MemoryTag).max(MEMORY_LIMITS.tags).default([]),
		pinned: z.boolean().default(false),
	})
	.strict()
export type MemoryInput = z.infer<typeof MemoryInput>

/** Whose memory: `user` empty = the agent's shared memory, else one user's (an actor string). */
export interface MemoryOwner {
	tenantId: string
	agentId: string
	user: string
}

/** What a reader sees: the agent's shared memory and, for a user, that user's own. */
export interface MemoryView {
	tenantId: string
	agentId: string
	/** The user keys visible (`''` = shared); null = every memory of the agent (the API's view). */
	users: readonly string[] | null
}

export const viewOf = (owner: MemoryOwner): MemoryView => ({
	tenantId: owner.tenantId,
	agentId: owner.agentId,
	users: owner.user === '' ? [''] : ['', owner.user],
})

export interface Memory {
	id: string
	text: string
	tags: string[]
	pinned: boolean
	/** `agent`: shared by every user of the agent; `user`: one user's (named in `user`). */
	scope: 'agent' | 'user'
	user: string | null
	createdBy: string
	sourceSession: string | null
	sourceRun: string | null
	createdAt: number
	updatedAt: number
}

export type SearchMode = 'fulltext' | 'semantic' | 'hybrid'

export interface MemoryHit extends Memory {
	/** Higher is better; comparable within one answer only. */
	score: number
}

export interface SearchAnswer {
	/** Which index answered: FTS5 alone, Vectorize alone, or both fused. */
	mode: SearchMode
	results: MemoryHit[]
}

/** Why a memory operation was refused; the tools and the API map the code to their errors. */
export class MemoryError extends Error {
	override readonly name = 'MemoryError'
	constructor(
		readonly code: 'memory_full' | 'memory_not_found',
		message: string,
	) {
		super(message)
	}
}
