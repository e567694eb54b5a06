// Which session an inbound message belongs to, and whether it may reach the agent at all: pure
// rules over the channel's config, so they are tested without the runtime. The default session
// key is `<channelId>:<peerKind>:<peerId>[:<thread>]`; DMs share `<channelId>:dm:main` under
// `dmScope: main`; bindings send a peer or a whole workspace to another agent.
import { APPROVAL_ID_PATTERN } from './approval-buttons'
import type { ChannelCommon } from './config'
import type { Envelope, Peer, Sender } from './plugin'

export interface ChannelIdentity {
	tenantId: string
	id: string
	/** The channel's own agent; bindings may name another. */
	agentId: string
}

export interface Route {
	agentId: string
	sessionKey: string
}

/** Characters a session key allows (src/lanes/name.ts); anything else in an id is escaped. */
const UNSAFE = /[^A-Za-z0-9._@+=-]/g

const safe = (id: string): string =>
	id.replace(UNSAFE, (c) => `=${c.codePointAt(0)?.toString(16).padStart(2, '0')}`)

/** The agent and session key of a message (or of an approval pressed in its conversation). */
export function routeOf(
	channel: ChannelIdentity,
	config: Pick<ChannelCommon, 'dmScope' | 'bindings'>,
	at: { peer: Peer; thread?: string; space?: string },
): Route {
	const binding =
		config.bindings.find(
			(b) => b.peer && b.peer.kind === at.peer.kind && b.peer.id === at.peer.id,
		) ?? config.bindings.find((b) => !b.peer && b.space !== undefined && b.space === at.space)
	const agentId = binding?.agent ?? channel.agentId
	const peer =
		at.peer.kind === 'dm' && config.dmScope === 'main'
			? 'dm:main'
			: `${at.peer.kind}:${safe(at.peer.id)}`
	const thread = at.thread ? `:${safe(at.thread)}` : ''
	return { agentId, sessionKey: `${channel.id}:${peer}${thread}`.slice(0, 256) }
}

/** What the core does with a message before it reaches a lane. */
export type Admission =
	| { kind: 'admit'; text: string }
	/** An unknown DM sender under `dmPolicy: pairing`: a code, nothing for the agent. */
	| { kind: 'pair' }
	| { kind: 'drop'; reason: string }

/**
 * Who may talk: DMs by `dmPolicy` (the config's `allowFrom` plus senders pairing admitted), groups
 * and channels by `groupPolicy` and `groups`, and in groups only when mentioned (or addressed by
 * `mentionPrefix`, which is stripped from the text).
 */
export function admissionOf(
	config: ChannelCommon,
	envelope: Pick<Envelope, 'peer' | 'sender' | 'mentioned' | 'text'>,
	paired: boolean,
): Admission {
	const { peer, sender } = envelope
	if (peer.kind === 'dm') {
		const known = paired || config.allowFrom.includes(sender.id)
		switch (config.dmPolicy) {
			case 'disabled':
				return { kind: 'drop', reason: 'direct messages are disabled' }
			case 'open':
				return { kind: 'admit', text: envelope.text }
			case 'allowlist':
				return known
					? { kind: 'admit', text: envelope.text }
					: { kind: 'drop', reason: 'sender not allowed' }
			case 'pairing':
				return known ? { kind: 'admit', text: envelope.text } : { kind: 'pair' }
		}
	}
	if (config.groupPolicy === 'disabled') return { kind: 'drop', reason: 'groups are disabled' }
	if (config.groupPolicy === 'allowlist' && !config.groups.includes(peer.id)) {
		return { kind: 'drop', reason: 'group not allowed' }
	}
	const prefix = config.mentionPrefix
	if (prefix && envelope.text.startsWith(prefix)) {
		return { kind: 'admit', text: envelope.text.slice(prefix.length).trimStart() }
	}
	if (config.requireMention && !envelope.mentioned) return { kind: 'drop', reason: 'not mentioned' }
	return { kind: 'admit', text: envelope.text }
}

/** May this sender decide approvals here? Only senders the channel names or pairing admitted. */
export const mayApprove = (config: ChannelCommon, sender: Sender, paired: boolean): boolean =>
	paired || config.allowFrom.includes(sender.id)

const APPROVAL_COMMAND = new RegExp(
	`^/(approve|deny)\\s+(${APPROVAL_ID_PATTERN})(?:\\s+(once|always))?\\s*$`,
	'i',
)

/** `/approve <id> [always]` and `/deny <id>` typed as text, where a channel has no buttons. */
export function approvalCommand(
	text: string,
): { approvalId: string; choice: 'once' | 'always' | 'deny' } | undefined {
	const m = APPROVAL_COMMAND.exec(text.trim())
	if (!m) return undefined
	const approvalId = m[2] as string
	if (m[1]?.toLowerCase() === 'deny') return { approvalId, choice: 'deny' }
	return { approvalId, choice: m[3]?.toLowerCase() === 'always' ? 'always' : 'once' }
}
