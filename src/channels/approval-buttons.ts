// Approvals as the chat platforms carry them: one approval-id shape, one button data format
// (`ap:<approvalId>:<choice>`, so a press names the approval and the choice with no state kept
// between send and press) and one set of labels, for every channel's buttons and text commands.
import type { ApprovalChoice } from './plugin'

/** The three choices of an approval, in the order they are shown. */
export const APPROVAL_BUTTONS: readonly { choice: ApprovalChoice; label: string }[] = [
	{ choice: 'once', label: 'Allow once' },
	{ choice: 'always', label: 'Always allow' },
	{ choice: 'deny', label: 'Deny' },
]

/**
 * What an approval id may be (approval ids are UUIDs, 36 chars), unanchored so a text command can
 * embed it. At most 48 chars: Telegram's callback_data holds 64 bytes, and "ap:" + 48 + ":always"
 * is 58.
 */
export const APPROVAL_ID_PATTERN = '[A-Za-z0-9_-]{1,48}'
const APPROVAL_ID = new RegExp(`^${APPROVAL_ID_PATTERN}$`)
const BUTTON_DATA = new RegExp(`^ap:(${APPROVAL_ID_PATTERN}):(once|always|deny)$`)

/** True when `id` has the shape of an approval id. */
export const isApprovalId = (id: string): boolean => APPROVAL_ID.test(id)

/** The data a button carries; throws for an id that could not fit a platform's button. */
export function approvalButtonData(approvalId: string, choice: ApprovalChoice): string {
	if (!isApprovalId(approvalId))
		throw new RangeError('an approval id must be 1-48 chars of A-Z, a-z, 0-9, _ and -')
	return `ap:${approvalId}:${choice}`
}

/** The approval and choice a pressed button names, or undefined for any other data. */
export function approvalOfButton(
	data: unknown,
): { approvalId: string; choice: ApprovalChoice } | undefined {
	if (typeof data !== 'string') return undefined
	const match = BUTTON_DATA.exec(data)
	if (!match) return undefined
	return { approvalId: match[1] as string, choice: match[2] as ApprovalChoice }
}

/** The text of an approval request, for platforms that show it above the buttons or as a fallback. */
export function approvalText(approval: { tool: string; summary: string }): string {
	return `Approval needed: ${approval.tool}\n${approval.summary}`.trim()
}

/** What a person sees once their press is taken. */
export const APPROVAL_TAKEN: Record<ApprovalChoice, string> = {
	once: 'Allowed once',
	always: 'Always allowed',
	deny: 'Denied',
}
