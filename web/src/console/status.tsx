// Status page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function StatusPage() {
	return <Page title="Status">{null}</Page>
}
