// Tools page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function ToolsPage() {
	return <Page title="Tools">{null}</Page>
}
