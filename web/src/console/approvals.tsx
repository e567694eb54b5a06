// Approvals page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function ApprovalsPage() {
	return <Page title="Approvals">{null}</Page>
}
