// One interactive chat (`edgeclaw chat`): messages in from `Lines`, each turn shown from the
// session's event stream, approvals asked at the prompt, Ctrl-C cancelling the running turn.
import { ApiError, type components, must } from '@edgeclaw/client'
import type { Context } from './context.ts'
import { EXIT } from './errors.ts'
import { followEvents, type SessionEvent } from './events.ts'
import { Lines } from './lines.ts'

type Decision = components['schemas']['ApprovalDecision']['decision']

export interface ChatTarget {
	agent: string
	session: string
}

/** How a turn ended. */
type Ending = { kind: 'done'; event: SessionEvent } | { kind: 'approval'; event: SessionEvent }

export class Chat {
	readonly #ctx: Context
	readonly #target: ChatTarget
	readonly #abort = new AbortController()
	/** Events of runs not yet claimed (the stream can be faster than the submit's answer). */
	readonly #unclaimed = new Map<string, SessionEvent[]>()
	#active:
		| { runId: string; notify: (ending: Ending) => void; inbox: Ending[]; cancelling: boolean }
		| undefined
	#streamError: unknown
	#follower: Promise<void> | undefined
	#wroteText = false
	/** The session's last event before this chat: what the event stream starts after. */
	#after = 0
	constructor(ctx: Context, target: ChatTarget) {
		this.#ctx = ctx
		this.#target = target
	}

	async run(): Promise<number> {
		const { out } = this.#ctx
		this.#after = await this.#lastSeq()
		// Following starts before the first message, so no event of a turn can be missed.
		this.#follower = this.#follow()
		const lines = new Lines()
		let exit: number = EXIT.ok
		const interrupt = () => {
			const active = this.#active
			if (active && !active.cancelling) {
				active.cancelling = true
				out.note(out.paint('yellow', '\n^C cancelling the turn… (again to leave)', process.stderr))
				void this.#cancel(active.runId)
				return
			}
			exit = EXIT.interrupted
			this.#abort.abort()
			lines.close()
		}
		lines.rl.on('SIGINT', interrupt)
		process.on('SIGINT', interrupt)
		if (!out.json && process.stdin.isTTY)
			out.note(
				out.paint(
					'dim',
					`chatting with ${this.#target.agent} in session ${this.#target.session} at ${this.#ctx.gateway.url} — /exit to leave`,
					process.stderr,
				),
			)
		try {
			for (;;) {
				const line = await lines.next('you › ')
				if (line === null || this.#abort.signal.aborted) break
				const message = line.trim()
				if (!message) continue
				if (message === '/exit' || message === '/quit') break
				if (message === '/reset') {
					await must(
						this.#ctx.client.POST('/v1/sessions/{sessionKey}/reset', {
							params: {
								path: { sessionKey: this.#target.session },
								query: { agent: this.#target.agent },
							},
						}),
					)
					out.note('session reset')
					continue
				}
				const ok = await this.#turn(message, lines)
				if (this.#streamError) throw this.#streamError
				if (!ok) exit = EXIT.failed
			}
		} finally {
			process.off('SIGINT', interrupt)
			this.#abort.abort()
			lines.close()
			await this.#follower
		}
		return exit
	}

	#follow(): Promise<void> {
		const { out } = this.#ctx
		return followEvents(this.#ctx.client, {
			sessionKey: this.#target.session,
			agent: this.#target.agent,
			after: this.#after,
			signal: this.#abort.signal,
			onEvent: (event) => {
				this.#dispatch(event)
				return undefined
			},
			onReconnect: (seq) =>
				out.note(
					out.paint('dim', `(event stream dropped; resuming after #${seq})`, process.stderr),
				),
		}).then(
			() => undefined,
			(error: unknown) => {
				this.#streamError = error
				this.#active?.notify({
					kind: 'done',
					event: { seq: 0, ts: Date.now(), type: 'error', data: {} },
				})
			},
		)
	}

	/** The session's last event seq (0 for a session with none yet). */
	async #lastSeq(): Promise<number> {
		try {
			const session = await must(
				this.#ctx.client.GET('/v1/sessions/{sessionKey}', {
					params: {
						path: { sessionKey: this.#target.session },
						query: { agent: this.#target.agent },
					},
				}),
			)
			return session.lastEventSeq
		} catch (error) {
			if (error instanceof ApiError && error.status === 404) {
				// A new session — unless the agent itself is missing, which the user should hear now.
				await must(
					this.#ctx.client.GET('/v1/agents/{agentId}', {
						params: { path: { agentId: this.#target.agent } },
					}),
				)
				return 0
			}
			throw error
		}
	}

	/** Sends one message and shows its turn; false when the turn failed. */
	async #turn(content: string, lines: Lines): Promise<boolean> {
		const { out, client } = this.#ctx
		const submitted = await must(
			client.POST('/v1/sessions/{sessionKey}/messages', {
				params: { path: { sessionKey: this.#target.session } },
				body: { content, agent: this.#target.agent },
			}),
		)
		if (submitted.disposition !== 'queued') {
			out.note(
				out.paint('dim', `(${submitted.disposition} into run ${submitted.runId})`, process.stderr),
			)
		}
		const inbox: Ending[] = []
		let wake: (() => void) | undefined
		this.#active = {
			runId: submitted.runId,
			inbox,
			cancelling: false,
			notify: (ending) => {
				inbox.push(ending)
				wake?.()
			},
		}
		this.#wroteText = false
		for (const event of this.#unclaimed.get(submitted.runId) ?? []) this.#dispatch(event)
		this.#unclaimed.clear()
		if (this.#streamError) throw this.#streamError
		try {
			for (;;) {
				const ending =
					inbox.shift() ??
					(await new Promise<void>((resolve) => (wake = resolve)).then(() => inbox.shift()))
				if (!ending) continue
				if (ending.kind === 'approval') {
					await this.#approve(ending.event, lines)
					continue
				}
				// Cancelled (by Ctrl-C or elsewhere) is not a failure of the chat; an error is.
				return ending.event.type !== 'error'
			}
		} finally {
			this.#active = undefined
		}
	}

	#dispatch(event: SessionEvent): void {
		const active = this.#active
		if (!event.runId) return
		if (!active || event.runId !== active.runId) {
			const held = this.#unclaimed.get(event.runId) ?? []
			if (held.length < 10_000) held.push(event)
			this.#unclaimed.set(event.runId, held)
			return
		}
		this.#show(event)
		if (event.type === 'approval.requested') active.notify({ kind: 'approval', event })
		const over =
			event.type === 'final' ||
			event.type === 'cancelled' ||
			(event.type === 'error' && event.data.retrying !== true)
		if (over) active.notify({ kind: 'done', event })
	}

	#show(event: SessionEvent): void {
		const { out } = this.#ctx
		if (out.json) {
			process.stdout.write(`${JSON.stringify(event)}\n`)
			return
		}
		const d = event.data
		const dim = (s: string) => out.paint('dim', s)
		const breakLine = () => {
			if (this.#wroteText) process.stdout.write('\n')
			this.#wroteText = false
		}
		switch (event.type) {
			case 'delta':
				if (!this.#wroteText) process.stdout.write(out.paint('cyan', `${this.#target.agent} › `))
				process.stdout.write(String(d.text ?? ''))
				this.#wroteText = true
				break
			case 'tool': {
				breakLine()
				const inner = (d.data ?? {}) as Record<string, unknown>
				if (d.phase === 'call')
					process.stdout.write(`${dim(`  ⚙ ${d.name} ${JSON.stringify(inner.args ?? {})}`)}\n`)
				else
					process.stdout.write(
						`${dim(`  ↳ ${d.name} ${inner.ok === false ? `failed${inner.code ? ` (${inner.code})` : ''}` : 'ok'}`)}\n`,
					)
				break
			}
			case 'approval.resolved':
				process.stdout.write(`${dim(`  approval ${d.decision}${d.by ? ` by ${d.by}` : ''}`)}\n`)
				break
			case 'final': {
				breakLine()
				const usage = (d.usage ?? {}) as { inputTokens?: number; outputTokens?: number }
				process.stdout.write(
					`${dim(`  (${d.model ?? 'model'}: ${usage.inputTokens ?? 0} in, ${usage.outputTokens ?? 0} out)`)}\n`,
				)
				break
			}
			case 'error':
				breakLine()
				if (d.retrying === true)
					process.stdout.write(`${dim('  (the lane restarted; running the turn again)')}\n`)
				else
					out.error(
						`${d.message ?? 'the run failed'} (${d.code ?? 'run_failed'}, run ${event.runId})`,
					)
				break
			case 'cancelled':
				breakLine()
				process.stdout.write(`${out.paint('yellow', `  cancelled (${d.reason ?? 'cancelled'})`)}\n`)
				break
		}
	}

	async #approve(event: SessionEvent, lines: Lines): Promise<void> {
		const { out, client } = this.#ctx
		const d = event.data as {
			approvalId: string
			tool: string
			args?: unknown
			sideEffect?: string
		}
		if (this.#wroteText) process.stdout.write('\n')
		this.#wroteText = false
		out.note(
			`${out.paint('yellow', '⏸ approval needed', process.stderr)}: ${d.tool} ${typeof d.args === 'string' ? d.args : JSON.stringify(d.args ?? {})}${d.sideEffect ? ` (${d.sideEffect})` : ''}`,
		)
		let decision: Decision | undefined
		while (!decision) {
			const answer = await lines.next('allow? [y] once, [a] always, [n] deny › ')
			if (answer === null) {
				out.note('no answer (stdin closed): denied')
				decision = 'deny'
				break
			}
			decision = DECISIONS[answer.trim().toLowerCase()]
			if (!decision) out.note('answer y, a or n')
		}
		try {
			await must(
				client.POST('/v1/sessions/{sessionKey}/approvals/{approvalId}', {
					params: {
						path: { sessionKey: this.#target.session, approvalId: d.approvalId },
						query: { agent: this.#target.agent },
					},
					body: { decision },
				}),
			)
		} catch (error) {
			// Decided elsewhere first (the web app, another terminal) or expired: the events say how.
			if (error instanceof ApiError && error.status === 409)
				out.note(`approval already settled: ${error.detail}`)
			else throw error
		}
	}

	async #cancel(runId: string): Promise<void> {
		try {
			await must(
				this.#ctx.client.POST('/v1/sessions/{sessionKey}/runs/{runId}/cancel', {
					params: {
						path: { sessionKey: this.#target.session, runId },
						query: { agent: this.#target.agent },
					},
				}),
			)
		} catch (error) {
			if (!(error instanceof ApiError && error.status === 409)) this.#ctx.out.error(String(error))
		}
	}
}

const DECISIONS: Record<string, Decision> = {
	y: 'allow-once',
	yes: 'allow-once',
	'allow-once': 'allow-once',
	a: 'allow-always',
	always: 'allow-always',
	'allow-always': 'allow-always',
	n: 'deny',
	no: 'deny',
	deny: 'deny',
}
