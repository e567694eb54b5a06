// swagger-ui-dist ships no types; the reference page uses only this much of it.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
	interface SwaggerUIOptions {
		url: string
		domNode: HTMLElement
		validatorUrl: string | null
		deepLinking?: boolean
		tryItOutEnabled?: boolean
	}
	const SwaggerUIBundle: (options: SwaggerUIOptions) => unknown
	export default SwaggerUIBundle
}
