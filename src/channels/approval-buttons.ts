// Approval buttons as the chat platforms carry them: `ap:<approvalId>:<choice>` is the button's
// data, so a press names the approval and the choice with no state kept between send and press.
import type { ApprovalChoice } from './plugin'

/** The three buttons of an approval, in the order they are shown. */
export const APPROVAL_BUTTONS: readonly { choice: ApprovalChoice; label: string }[] = [
	{ choice: 'once', label: 'Allow once' },
	{ choice: 'always', label: 'Always' },
	{ choice: 'deny', label: 'Deny' },
]

// Short enough for Telegram's 64-byte callback_data: "ap:" + 48 + ":always" is 58 bytes.
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,48}$/
const BUTTON_DATA = /^ap:([A-Za-z0-9_-]{1,48}):(once|always|deny)$/

/** The data a button carries; throws for an id that could not fit a platform's button. */
export function approvalButtonData(approvalId: string, choice: ApprovalChoice): string {
	if (!APPROVAL_ID.test(approvalId))
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
