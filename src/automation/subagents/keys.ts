// Names of child sessions and the limits on spawning them, as pure functions of the parent and its
// agent's config: the checks a spawn passes before anything is stored or sent.
import type { SubagentsConfig } from '../../agents/config'

const KEY_MAX = 256

/** A child's session key: the parent's plus `:sub:<id>`; undefined when it would be too long. */
export function childKey(parentKey: string, id: string): string | undefined {
	const key = `${parentKey}:sub:${id.replaceAll('-', '').slice(0, 12)}`
	return key.length <= KEY_MAX ? key : undefined
}

export type SpawnRefusal =
	| { code: 'subagent_depth_exceeded'; message: string }
	| { code: 'subagent_agent_denied'; message: string }
	| { code: 'subagent_children_exceeded'; message: string }

/** Deepest nesting any chain may reach, whatever its agents say. */
export const MAX_DEPTH = 5

/**
 * How deep a chain may nest below a session: its own agent's `maxDepth`, never more than an
 * ancestor allowed (`inherited`), never more than MAX_DEPTH.
 */
export const effectiveMaxDepth = (config: SubagentsConfig, inherited: number | undefined): number =>
	Math.min(config.maxDepth, inherited ?? MAX_DEPTH, MAX_DEPTH)

/**
 * Why a session at `depth` (0: top level) of agent `self`, with `open` unfinished children, may not
 * spawn a child of `agent` when chains may nest `maxDepth` deep; undefined when it may.
 */
export function spawnRefusal(
	config: SubagentsConfig,
	s: { depth: number; maxDepth: number; self: string; agent: string; open: number },
): SpawnRefusal | undefined {
	if (s.depth + 1 > s.maxDepth) {
		return {
			code: 'subagent_depth_exceeded',
			message: `Subagents may nest at most ${s.maxDepth} deep here (subagents.maxDepth of this agent and those above it); this session is at depth ${s.depth}.`,
		}
	}
	if (
		s.agent !== s.self &&
		!config.allowAgents.includes(s.agent) &&
		!config.allowAgents.includes('*')
	) {
		return {
			code: 'subagent_agent_denied',
			message: `Agent "${s.self}" may not spawn agent "${s.agent}" (subagents.allowAgents).`,
		}
	}
	if (s.open >= config.maxChildren) {
		return {
			code: 'subagent_children_exceeded',
			message: `This session already has ${s.open} unfinished subagents (subagents.maxChildren is ${config.maxChildren}).`,
		}
	}
	return undefined
}
