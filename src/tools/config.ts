// An agent's tool settings (`config.tools`): which tools it may see (profile ∪ allow − deny,
// default deny), which need a human's approval (and from whom), web limits and remote MCP
// servers. The agent config embeds this schema.
import { z } from 'zod'

export const ToolProfile = z.enum(['minimal', 'coding', 'messaging', 'full'])
export type ToolProfile = z.infer<typeof ToolProfile>

/** A tool name, a group (`group:fs`), an MCP server (`mcp:<id>`) or a `*` pattern. */
const ToolEntry = z
	.string()
	.min(1)
	.max(100)
	.regex(/^[A-Za-z0-9_:*.-]+$/, 'must be a tool name, a group such as "group:fs", or a pattern')

/** A host name or `*.suffix` pattern for web_fetch lists. */
const HostPattern = z
	.string()
	.min(1)
	.max(253)
	.regex(/^(\*\.)?[a-z0-9.-]+$/, 'must be a lowercase host name or "*.example.com"')

const McpServerId = z
	.string()
	.regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'must be a lowercase slug of up to 31 chars')

export const McpServer = z
	.object({
		id: McpServerId,
		/**
		 * Streamable HTTP endpoint: https and a public address (the SSRF guard decides when the config
		 * is saved and at every request; loopback over http only under EDGECLAW_DEV_ALLOW_LOOPBACK).
		 */
		url: z.url({ protocol: /^https?$/ }).max(500),
		/** Name of the tenant secret sent as `Authorization: Bearer <secret>`; never the secret. */
		secret: z
			.string()
			.regex(/^[A-Z][A-Z0-9_]{0,127}$/, 'must be the NAME of a Worker secret')
			.optional(),
		/** Tools appear as `<prefix>_<tool>`; default the server id (dashes become underscores). */
		prefix: z
			.string()
			.regex(/^[a-z][a-z0-9_]{0,23}$/, 'must be 1-24 chars of a-z, 0-9, "_"')
			.optional(),
		timeoutMs: z.number().int().min(1_000).max(300_000).default(30_000),
	})
	.strict()
export type McpServer = z.infer<typeof McpServer>

export const ToolsConfig = z
	.object({
		profile: ToolProfile.default('minimal'),
		allow: z.array(ToolEntry).max(200).default([]),
		deny: z.array(ToolEntry).max(200).default([]),
		/** Tools (names, groups, patterns) whose every call waits for a human's approval. */
		elevated: z.array(ToolEntry).max(200).default([]),
		/** How long a call waits for approval before it fails as expired. */
		approvalTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
		/**
		 * Separation of duties: an approval must come from a principal other than every one whose
		 * message the run carries (and their own `allow-always` grants do not count for them).
		 */
		separateApprover: z.boolean().default(false),
		web: z
			.object({
				/** When non-empty, web_fetch may reach only these hosts. */
				allowHosts: z.array(HostPattern).max(200).default([]),
				/** web_fetch never reaches these hosts (deny wins). */
				denyHosts: z.array(HostPattern).max(200).default([]),
				maxBytes: z
					.number()
					.int()
					.min(1_024)
					.max(10 * 1024 * 1024)
					.default(1024 * 1024),
				timeoutMs: z.number().int().min(1_000).max(120_000).default(15_000),
			})
			.strict()
			.prefault({}),
		/** Remote MCP servers (Streamable HTTP) whose tools join the agent's under a prefix. */
		mcp: z.array(McpServer).max(16).default([]),
	})
	.strict()
	.superRefine((t, ctx) => {
		const seen = new Set<string>()
		t.mcp.forEach((s, i) => {
			const prefix = s.prefix ?? s.id.replaceAll('-', '_')
			if (seen.has(prefix)) {
				ctx.addIssue({
					code: 'custom',
					path: ['mcp', i, 'prefix'],
					message: `duplicate MCP prefix "${prefix}"`,
				})
			}
			seen.add(prefix)
		})
	})

export type ToolsConfig = z.infer<typeof ToolsConfig>
