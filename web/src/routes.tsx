// The app's pages: path, navigation label, and the action the signed-in principal needs for the
// page to appear (the server still checks every request the page makes).
import type { ComponentType } from 'preact'
import { ChatPage } from './chat/chat-page'
import { AgentsPage } from './console/agents'
import { ApprovalsPage } from './console/approvals'
import { AuditPage } from './console/audit'
import { ChannelsPage } from './console/channels'
import { DashboardPage } from './console/dashboard'
import { KeysPage } from './console/keys'
import { SessionsPage } from './console/sessions'
import { StatusPage } from './console/status'
import { ToolsPage } from './console/tools'
import { TracePage } from './console/trace'
import { UsagePage } from './console/usage'

export interface PageRoute {
	path: string
	label: string
	/** Needed to show the page; undefined = every signed-in principal. */
	action?: string
	component: ComponentType
	/** Left out of the navigation: a page opened from links (the trace of one run). */
	linkedOnly?: true
}

export const PAGES: readonly PageRoute[] = [
	// Viewers read sessions too: the chat then shows no composer, Stop, Reset or approval buttons.
	{ path: '/chat', label: 'Chat', action: 'sessions:read', component: ChatPage },
	{ path: '/sessions', label: 'Sessions', action: 'sessions:list', component: SessionsPage },
	{ path: '/agents', label: 'Agents', action: 'agents:list', component: AgentsPage },
	{ path: '/channels', label: 'Channels', action: 'channels:list', component: ChannelsPage },
	{ path: '/approvals', label: 'Approvals', action: 'sessions:read', component: ApprovalsPage },
	{ path: '/keys', label: 'Keys', action: 'keys:list', component: KeysPage },
	{ path: '/audit', label: 'Audit', action: 'audit:read', component: AuditPage },
	{ path: '/dashboard', label: 'Dashboard', action: 'metrics:read', component: DashboardPage },
	{ path: '/usage', label: 'Usage', action: 'usage:read', component: UsagePage },
	{ path: '/tools', label: 'Tool executions', action: 'tools:read', component: ToolsPage },
	{ path: '/status', label: 'Health', component: StatusPage },
	{
		path: '/trace',
		label: 'Trace',
		action: 'sessions:read',
		component: TracePage,
		linkedOnly: true,
	},
]
