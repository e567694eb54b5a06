// WebChat. Placeholder until the chat is built.
import { Page } from '../ui/kit'

export function ChatPage() {
	return <Page title="Chat">{null}</Page>
}
