// Sessions page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function SessionsPage() {
	return <Page title="Sessions">{null}</Page>
}
