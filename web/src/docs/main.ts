// The API reference at /docs: Swagger UI (swagger-ui-dist, pinned in package.json) rendering the
// gateway's /openapi.json. Bundled with the app's build into hashed files under /assets/, so the page
// loads nothing from another origin and runs under the same strict CSP as the app.
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-bundle.js'
import 'swagger-ui-dist/swagger-ui.css'

const root = document.getElementById('api-reference')
if (root) {
	SwaggerUIBundle({
		url: root.dataset.specUrl ?? '/openapi.json',
		domNode: root,
		// The default sends the document to validator.swagger.io for a badge: nothing leaves the origin.
		validatorUrl: null,
		deepLinking: true,
		tryItOutEnabled: false,
	})
}
