// Which kind of conversation a Slack channel is (dm, group, channel), read alike for a message and
// for an approval button pressed in it, so that both route to the same session.
import type { PeerKind } from '../plugin'

/**
 * The Events API's channel_type. A private channel ('group') is a channel like a public one (Slack
 * sends app_mention without a channel_type, and an app_mention in any channel must route alike).
 */
const CHANNEL_TYPES: Record<string, PeerKind> = {
	im: 'dm',
	mpim: 'group',
	group: 'channel',
	channel: 'channel',
}

const PEER_KINDS: readonly PeerKind[] = ['dm', 'group', 'channel']

/** A message's peer kind: its channel_type; without one (app_mention) only a DM's id tells: D…. */
export function peerKindOf(channel: string, channelType: string | null | undefined): PeerKind {
	const known = channelType ? CHANNEL_TYPES[channelType] : undefined
	return known ?? (channel.startsWith('D') ? 'dm' : 'channel')
}

/**
 * block_actions carries no channel_type, and its `channel.name` is a legacy label
 * ("directmessage"; "privategroup" for private conversations) that cannot tell a group DM from a
 * private channel. So the approval prompt carries the kind of the conversation it was sent to as
 * the block_id of its buttons, which Slack echoes in every press.
 */
export const approvalBlockId = (kind: PeerKind): string => `ap-peer:${kind}`

/**
 * A press's peer kind: the prompt's block_id when it names one; else (a prompt sent without it) a
 * D… id is a DM, a channel named `mpdm-…` a group DM, anything else a channel.
 */
export function pressPeerKind(
	channel: { id: string; name?: string | null },
	blockId: string | null | undefined,
): PeerKind {
	const named = blockId?.startsWith('ap-peer:') ? blockId.slice('ap-peer:'.length) : undefined
	const kind = PEER_KINDS.find((k) => k === named)
	if (kind) return kind
	if (channel.id.startsWith('D')) return 'dm'
	return channel.name?.startsWith('mpdm-') ? 'group' : 'channel'
}
