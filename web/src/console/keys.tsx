// Keys page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function KeysPage() {
	return <Page title="Keys">{null}</Page>
}
