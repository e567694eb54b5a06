// Audit page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function AuditPage() {
	return <Page title="Audit">{null}</Page>
}
