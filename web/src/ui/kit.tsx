// Small pieces every page uses: loading a resource, showing an API error (its code, detail and
// request id, as the server sent them), times, a copy button, and the platform admin's tenant picker.
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, client, credentials, must } from '../api'
import { loadMe } from '../session'

export interface Resource<T> {
	data: T | undefined
	error: unknown
	loading: boolean
	reload: () => void
}

/**
 * Loads `fetcher()` when `deps` change; a newer load wins over an older one still in flight (its
 * AbortSignal fires), so a slow answer never overwrites a fresh one.
 */
export function useResource<T>(
	fetcher: (signal: AbortSignal) => Promise<T>,
	deps: readonly unknown[],
): Resource<T> {
	const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
		data: undefined,
		error: null,
		loading: true,
	})
	const [tick, setTick] = useState(0)
	const reload = useCallback(() => setTick((t) => t + 1), [])
	useEffect(() => {
		const controller = new AbortController()
		setState((s) => ({ ...s, loading: true }))
		fetcher(controller.signal).then(
			(data) => {
				if (!controller.signal.aborted) setState({ data, error: null, loading: false })
			},
			(error: unknown) => {
				if (!controller.signal.aborted) setState((s) => ({ ...s, error, loading: false }))
			},
		)
		return () => controller.abort()
	}, [...deps, tick])
	return { ...state, reload }
}

/** An error as the server described it: code, detail, the fields at fault, and the request id. */
export function ErrorNotice({ error }: { error: unknown }) {
	if (error === null || error === undefined) return null
	if (error instanceof ApiError) {
		return (
			<div role="alert" class="error">
				<strong>{error.code}</strong>: {error.detail}
				{error.errors.length > 0 && (
					<ul>
						{error.errors.map((e) => (
							<li key={`${e.path}:${e.message}`}>
								<code>{e.path || '(body)'}</code> {e.message}
							</li>
						))}
					</ul>
				)}
				{error.requestId && <small class="request-id"> request {error.requestId}</small>}
			</div>
		)
	}
	return (
		<div role="alert" class="error">
			{error instanceof Error ? error.message : String(error)}
		</div>
	)
}

export function Page(props: {
	title: string
	actions?: ComponentChildren
	children: ComponentChildren
}) {
	return (
		<section class="page-body" aria-labelledby="page-title">
			<header class="page-head">
				<h1 id="page-title">{props.title}</h1>
				{props.actions && <div class="actions">{props.actions}</div>}
			</header>
			{props.children}
		</section>
	)
}

export function NotFound() {
	return (
		<Page title="Not found">
			<p>
				No page here. <a href="/">Back to the start</a>.
			</p>
		</Page>
	)
}

/** A time (epoch ms or ISO string) shown local, with the exact UTC instant on hover. */
export function Time({ at }: { at: number | string | null | undefined }) {
	if (at === null || at === undefined) return <span>—</span>
	const date = new Date(at)
	if (Number.isNaN(date.getTime())) return <span>{String(at)}</span>
	return (
		<time dateTime={date.toISOString()} title={date.toISOString()}>
			{date.toLocaleString()}
		</time>
	)
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
	const [copied, setCopied] = useState(false)
	const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
	useEffect(() => () => clearTimeout(timer.current), [])
	return (
		<button
			type="button"
			onClick={async () => {
				await navigator.clipboard.writeText(text)
				setCopied(true)
				clearTimeout(timer.current)
				timer.current = setTimeout(() => setCopied(false), 2000)
			}}
		>
			{copied ? 'Copied' : label}
		</button>
	)
}

/** The platform admin acts in one tenant at a time (`x-edgeclaw-tenant`). */
export function TenantPicker() {
	const tenants = useResource((signal) => must(client.GET('/v1/tenants', { signal }), signal), [])
	const current = credentials.tenant() ?? 'default'
	return (
		<label class="tenant-picker">
			<span class="visually-hidden">Tenant</span>
			<select
				aria-label="Tenant"
				value={current}
				onChange={async (e) => {
					credentials.setTenant(e.currentTarget.value === 'default' ? null : e.currentTarget.value)
					await loadMe()
				}}
			>
				{(tenants.data?.tenants ?? [{ id: current, name: current }]).map((t) => (
					<option key={t.id} value={t.id}>
						{t.id}
					</option>
				))}
			</select>
		</label>
	)
}
