// happy-dom departs from the DOM standard in two places DOMPurify relies on; under it, DOMPurify
// would see no tag names and would skip the node after every one it removes — so it would pass
// dangerous markup. This makes both behave as in browsers. Import it before anything that creates
// a DOMPurify instance (DOMPurify keeps the getters and the iterator factory it finds then).

// 1. `nodeName` is a stub ('') on Node.prototype, overridden per subclass; browsers have only the
//    Node.prototype getter, which DOMPurify calls directly.
const baseNodeName = Object.getOwnPropertyDescriptor(Node.prototype, 'nodeName')
function nodeName(this: Node): string {
	let proto: object | null = Object.getPrototypeOf(this)
	while (proto && proto !== Node.prototype) {
		const getter = Object.getOwnPropertyDescriptor(proto, 'nodeName')?.get
		if (getter) return getter.call(this)
		proto = Object.getPrototypeOf(proto)
	}
	return baseNodeName?.get?.call(this) ?? ''
}
Object.defineProperty(Node.prototype, 'nodeName', { configurable: true, get: nodeName })

// 2. NodeIterator ignores removals: after its reference node is removed it should go on from the
//    node that preceded it (DOM standard, "NodeIterator pre-removing steps").
function following(node: Node, root: Node): Node | null {
	if (node.firstChild) return node.firstChild
	for (let at: Node | null = node; at && at !== root; at = at.parentNode) {
		if (at.nextSibling) return at.nextSibling
	}
	return null
}

function preceding(node: Node): Node | null {
	let at = node.previousSibling
	if (!at) return node.parentNode
	while (at.lastChild) at = at.lastChild
	return at
}

class ConformingNodeIterator {
	readonly root: Node
	readonly whatToShow: number
	readonly filter: NodeFilter | null
	#reference: Node | null = null
	#before: Node | null = null

	constructor(root: Node, whatToShow: number, filter: NodeFilter | null) {
		this.root = root
		this.whatToShow = whatToShow
		this.filter = filter
	}

	nextNode(): Node | null {
		let node: Node | null
		if (this.#reference === null) node = this.root
		else {
			const removed = !this.root.contains(this.#reference)
			const from = removed ? this.#before : this.#reference
			node = from && this.root.contains(from) ? following(from, this.root) : null
		}
		while (node && !this.#accepts(node)) node = following(node, this.root)
		if (node) {
			this.#reference = node
			this.#before = preceding(node)
		}
		return node
	}

	#accepts(node: Node): boolean {
		if (((this.whatToShow >>> (node.nodeType - 1)) & 1) === 0) return false
		const filter = this.filter
		if (!filter) return true
		const verdict = typeof filter === 'function' ? filter(node) : filter.acceptNode(node)
		return verdict === NodeFilter.FILTER_ACCEPT
	}
}

/** The prototype that really holds `name` for `document` (happy-dom's `Document` global is a
 * per-window subclass, not the class its documents are made of). */
function ownerOf(object: object, name: string): Record<string, unknown> {
	for (let proto = Object.getPrototypeOf(object); proto; proto = Object.getPrototypeOf(proto)) {
		if (Object.getOwnPropertyDescriptor(proto, name)) return proto
	}
	throw new Error(`No ${name} on document`)
}

ownerOf(document, 'createNodeIterator').createNodeIterator = function createNodeIterator(
	root: Node,
	whatToShow = 0xffffffff,
	filter: NodeFilter | null = null,
) {
	return new ConformingNodeIterator(root, whatToShow, filter) as unknown as NodeIterator
}
