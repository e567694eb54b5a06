// TypeScript to JavaScript for run_js, in its own module so that sucrase loads with the first
// TypeScript run (src/sandbox/isolate.ts imports this lazily), not with every isolate.
import { transform } from 'sucrase'

/** Erases types only; sucrase keeps line numbers. */
export function stripTypes(code: string): string {
	return transform(code, { transforms: ['typescript'], disableESTransforms: true }).code
}
