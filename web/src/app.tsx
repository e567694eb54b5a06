// The shell: sign-in gate, who you are, navigation (only the pages your role may use), and the
// routed page. Paths are real URLs (the Worker answers every app path with index.html).

import { useEffect, useState } from 'preact/hooks'
import { LocationProvider, Route, Router, useLocation } from 'preact-iso'
import { credentials, onUnauthorized } from './api'
import { PAGES } from './routes'
import { can, loadMe, me, signOut } from './session'
import { SignIn } from './sign-in'
import { NotFound, TenantPicker } from './ui/kit'

export function App() {
	const [ready, setReady] = useState(false)
	useEffect(() => {
		void loadMe().finally(() => setReady(true))
		return onUnauthorized(() => {
			// A revoked or expired token: back to the sign-in form, nothing kept.
			if (credentials.token()) signOut()
		})
	}, [])
	if (!ready) return <p class="boot">Loading…</p>
	return <LocationProvider>{me.value ? <Shell /> : <SignIn />}</LocationProvider>
}

function Shell() {
	const who = me.value
	const { path, route } = useLocation()
	const [menuOpen, setMenuOpen] = useState(false)
	if (!who) return null
	const pages = PAGES.filter((p) => !p.action || can(p.action))
	const home = pages[0]?.path ?? '/status'
	return (
		<div class="shell">
			<header class="topbar">
				<a class="brand" href={home}>
					edgeclaw
				</a>
				<button
					type="button"
					class="menu-toggle"
					aria-expanded={menuOpen}
					aria-controls="nav"
					onClick={() => setMenuOpen(!menuOpen)}
				>
					Menu
				</button>
				<section class="whoami" aria-label="Signed in as">
					<span>
						tenant <strong data-testid="tenant">{who.principal.tenantId}</strong>
					</span>
					<span>
						role <strong data-testid="role">{who.principal.role}</strong>
					</span>
					{who.principal.kind === 'platform' && <TenantPicker />}
					{who.via === 'token' && (
						<button type="button" class="link" onClick={() => signOut()}>
							Sign out
						</button>
					)}
				</section>
			</header>
			<nav id="nav" class={menuOpen ? 'nav open' : 'nav'} aria-label="Pages">
				<ul>
					{pages
						.filter((p) => !p.linkedOnly)
						.map((p) => (
							<li key={p.path}>
								<a
									href={p.path}
									aria-current={path.startsWith(p.path) ? 'page' : undefined}
									onClick={() => setMenuOpen(false)}
								>
									{p.label}
								</a>
							</li>
						))}
				</ul>
			</nav>
			{/* Keyed by tenant: switching tenant remounts the page, its data and its sockets. */}
			<main class="page" key={who.principal.tenantId}>
				<Router>
					<Route path="/" component={() => <Redirect to={home} route={route} />} />
					{pages.map((p) => (
						<Route key={p.path} path={`${p.path}/*`} component={p.component} />
					))}
					{pages.map((p) => (
						<Route key={`${p.path}-root`} path={p.path} component={p.component} />
					))}
					<Route default component={NotFound} />
				</Router>
			</main>
		</div>
	)
}

function Redirect({ to, route }: { to: string; route: (url: string, replace?: boolean) => void }) {
	useEffect(() => route(to, true), [to, route])
	return null
}
