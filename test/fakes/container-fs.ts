// The fake container's disk: an in-memory POSIX-like tree of text files and directories. Like a
// real container's disk it is ephemeral: the fake machine replaces it when the container stops.

export type FsNode =
	| { type: 'dir'; mtime: number }
	| { type: 'file'; content: string; mtime: number }

/** A failed filesystem call, named by its errno as a shell would report it. */
export class FsError extends Error {
	override readonly name = 'FsError'
	readonly errno: 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'ENOTEMPTY'
	constructor(errno: FsError['errno'], path: string) {
		super(`${errno}: ${path}`)
		this.errno = errno
	}
}

/** `path` made absolute against `cwd` and normalised (`.`, `..`, repeated slashes). */
export function resolvePath(path: string, cwd = '/workspace'): string {
	const parts: string[] = []
	for (const part of (path.startsWith('/') ? path : `${cwd}/${path}`).split('/')) {
		if (part === '' || part === '.') continue
		if (part === '..') parts.pop()
		else parts.push(part)
	}
	return `/${parts.join('/')}`
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/'

export class FakeFs {
	readonly #nodes = new Map<string, FsNode>()

	constructor(now = Date.now()) {
		for (const dir of ['/', '/tmp', '/workspace']) this.#nodes.set(dir, { type: 'dir', mtime: now })
	}

	stat(path: string): FsNode | undefined {
		return this.#nodes.get(path)
	}

	read(path: string): string {
		const node = this.#nodes.get(path)
		if (!node) throw new FsError('ENOENT', path)
		if (node.type === 'dir') throw new FsError('EISDIR', path)
		return node.content
	}

	write(path: string, content: string, append = false): void {
		const parent = this.#nodes.get(parentOf(path))
		if (!parent) throw new FsError('ENOENT', path)
		if (parent.type !== 'dir') throw new FsError('ENOTDIR', path)
		const node = this.#nodes.get(path)
		if (node?.type === 'dir') throw new FsError('EISDIR', path)
		const before = append && node?.type === 'file' ? node.content : ''
		this.#nodes.set(path, { type: 'file', content: before + content, mtime: Date.now() })
	}

	mkdir(path: string, recursive: boolean): void {
		const node = this.#nodes.get(path)
		if (node) {
			if (recursive && node.type === 'dir') return
			throw new FsError('EEXIST', path)
		}
		const parent = this.#nodes.get(parentOf(path))
		if (!parent) {
			if (!recursive) throw new FsError('ENOENT', path)
			this.mkdir(parentOf(path), true)
		} else if (parent.type !== 'dir') throw new FsError('ENOTDIR', path)
		this.#nodes.set(path, { type: 'dir', mtime: Date.now() })
	}

	remove(path: string, recursive: boolean): void {
		const node = this.#nodes.get(path)
		if (!node) throw new FsError('ENOENT', path)
		const below = this.#below(path)
		if (node.type === 'dir' && below.length > 0 && !recursive) throw new FsError('ENOTEMPTY', path)
		for (const child of below) this.#nodes.delete(child)
		this.#nodes.delete(path)
	}

	/** Paths under a directory (children only, or every descendant), sorted. */
	list(path: string, recursive: boolean): string[] {
		const node = this.#nodes.get(path)
		if (!node) throw new FsError('ENOENT', path)
		if (node.type !== 'dir') throw new FsError('ENOTDIR', path)
		return this.#below(path)
			.filter((child) => recursive || parentOf(child) === path)
			.sort()
	}

	#below(path: string): string[] {
		const prefix = path === '/' ? '/' : `${path}/`
		return [...this.#nodes.keys()].filter((key) => key !== path && key.startsWith(prefix))
	}
}
