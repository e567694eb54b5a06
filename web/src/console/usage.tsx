// Usage page (console). Placeholder until the page is built.
import { Page } from '../ui/kit'

export function UsagePage() {
	return <Page title="Usage">{null}</Page>
}
