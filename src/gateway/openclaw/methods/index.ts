// Every method this gateway serves; `hello-ok.features.methods` lists exactly these.
import { approvalMethods } from './approvals'
import { chatMethods } from './chat'
import type { Method } from './context'
import { sessionMethods } from './sessions'
import { systemMethods } from './system'

export type { Method, MethodContext } from './context'

export const METHODS: ReadonlyMap<string, Method> = new Map(
	Object.entries({ ...systemMethods, ...chatMethods, ...sessionMethods, ...approvalMethods }),
)

export const methodNames = (): string[] => [...METHODS.keys()]
