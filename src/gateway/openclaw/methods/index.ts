// Every method this gateway serves; `hello-ok.features.methods` lists exactly these.
import { absentMethods } from './absent'
import { approvalMethods } from './approvals'
import { chatMethods } from './chat'
import type { Method } from './context'
import { controlUiMethods } from './control-ui'
import { deviceMethods } from './devices'
import { historyMethods } from './history'
import { logMethods } from './logs'
import { sessionMethods } from './sessions'
import { systemMethods } from './system'
import { usageMethods } from './usage'

export type { Method, MethodContext } from './context'

export const METHODS: ReadonlyMap<string, Method> = new Map(
	Object.entries({
		...systemMethods,
		...chatMethods,
		...historyMethods,
		...sessionMethods,
		...approvalMethods,
		...deviceMethods,
		...controlUiMethods,
		...logMethods,
		...usageMethods,
		...absentMethods,
	}),
)

export const methodNames = (): string[] => [...METHODS.keys()]
