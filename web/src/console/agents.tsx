// Agents page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function AgentsPage() {
	return <Page title="Agents">{null}</Page>
}
