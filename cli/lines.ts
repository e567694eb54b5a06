// Lines of stdin as a queue, for the chat: its messages and its answers to approval prompts come
// from one reader, a terminal or a pipe alike.
import { createInterface, type Interface } from 'node:readline'

/** Lines from stdin as a queue: `next()` is the next line, or null once stdin has ended. */
export class Lines {
	readonly rl: Interface
	#queue: string[] = []
	#waiting: ((line: string | null) => void) | undefined
	#closed = false
	constructor() {
		this.rl = createInterface({
			input: process.stdin,
			output: process.stdout,
			terminal: process.stdin.isTTY === true,
		})
		this.rl.on('line', (line) => {
			if (this.#waiting) {
				const resolve = this.#waiting
				this.#waiting = undefined
				resolve(line)
			} else this.#queue.push(line)
		})
		this.rl.on('close', () => {
			this.#closed = true
			this.#waiting?.(null)
			this.#waiting = undefined
		})
	}
	next(prompt: string): Promise<string | null> {
		const queued = this.#queue.shift()
		if (queued !== undefined) return Promise.resolve(queued)
		if (this.#closed) return Promise.resolve(null)
		if (this.rl.terminal) {
			this.rl.setPrompt(prompt)
			this.rl.prompt()
		}
		return new Promise((resolve) => {
			this.#waiting = resolve
		})
	}
	close(): void {
		this.rl.close()
		// A socket stdin (a parent process's pipe) would otherwise keep the process alive.
		process.stdin.destroy()
	}
}
