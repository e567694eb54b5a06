// The gateway: every request passes request id → its metric point → (browser navigations: the web app; /docs: the API reference) → secure headers → CORS → body cap → (for /v1)
// authentication → validation → route. Errors leave through one envelope (errors.ts).
import { secureHeaders } from 'hono/secure-headers'
import { assertEveryRouteHasARule, authorize, SELF_AUTHORISING } from './authz'
import { type ErrorDialect, errorHandler, notFoundHandler } from './errors'
import { hookRoutes } from './hooks/route'
import { authenticate } from './middleware/auth'
import { maxBody } from './middleware/body'
import { corsFromEnv } from './middleware/cors'
import { requestMetrics } from './middleware/metrics'
import { limitByIp, limitByPrincipal } from './middleware/rate-limit'
import { type RequestContextOptions, requestContext } from './middleware/request-context'
import { completionRoutes } from './openai/completions'
import { embeddingRoutes } from './openai/embeddings'
import { isOpenAIPath, openAIErrorResponse } from './openai/errors'
import { modelRoutes } from './openai/models'
import { responseRoutes } from './openai/responses'
import { createRouter } from './openapi'
import { openclawRoutes } from './openclaw/route'
import { adminLaneRoutes } from './routes/admin-lanes'
import { agentRoutes } from './routes/agents'
import { alertRoutes } from './routes/alerts'
import { pendingApprovalRoutes } from './routes/approvals'
import { auditCheckpointRoutes } from './routes/audit-checkpoints'
import { auditRoutes } from './routes/audit-log'
import { channelAccessRoutes } from './routes/channel-access'
import { channelRoutes } from './routes/channels'
import { healthRoutes, VERSION } from './routes/health'
import { keyRoutes } from './routes/keys'
import { meRoutes } from './routes/me'
import { memoryRoutes } from './routes/memory'
import { metricRoutes } from './routes/metrics/metrics'
import { policyRoutes } from './routes/policies'
import { providerRoutes } from './routes/providers'
import { scheduleRoutes } from './routes/schedules/schedules'
import { secretRoutes } from './routes/secrets'
import { securityRoutes } from './routes/security'
import { approvalRoutes } from './routes/sessions/approvals'
import { deliveryRoutes } from './routes/sessions/deliveries'
import { messageRoutes } from './routes/sessions/messages'
import { runRoutes } from './routes/sessions/runs'
import { sessionRoutes } from './routes/sessions/sessions'
import { streamRoutes } from './routes/sessions/streams'
import { tenantChangeRoutes } from './routes/tenant-changes'
import { tenantRoutes } from './routes/tenants'
import { toolExecutionRoutes } from './routes/tool-executions'
import { apiReference, webApp } from './web'

export type GatewayOptions = RequestContextOptions

/** Paths that render errors in another protocol's shape than problem+json. */
const ERROR_DIALECTS: readonly ErrorDialect[] = [
	{ matches: isOpenAIPath, render: openAIErrorResponse },
]

export function createGateway(options: GatewayOptions = {}) {
	const app = createRouter()

	app.use(requestContext(options))
	app.use(requestMetrics())
	// Browser navigations get the web app (its own, stricter headers); the rest is the API.
	app.use(webApp())
	// The rendered reference of /openapi.json: a page of the web build, its script served locally,
	// with the app's headers (so before the API's).
	app.get('/docs', apiReference())
	app.use(secureHeaders())
	app.use(corsFromEnv())
	app.use(maxBody())
	// The OpenClaw gateway socket authenticates in its `connect` frame and authorises every
	// method there (same policies); the Worker only admits the upgrade, rate-limited per IP.
	app.use('/v1/gateway', limitByIp())
	app.route('/', openclawRoutes)
	// Channel webhooks carry no bearer token: each is verified by its channel's own signature, and
	// rate-limited per channel (refusals per IP) inside the route.
	app.route('/', hookRoutes)
	// Default deny: everything under /v1 needs credentials and a policy that allows the route's
	// action; public routes live outside it.
	app.use('/v1/*', limitByIp())
	app.use('/v1/*', authenticate())
	app.use('/v1/*', limitByPrincipal())
	app.use('/v1/*', authorize())

	app.route('/', healthRoutes)
	app.route('/', meRoutes)
	app.route('/', tenantRoutes)
	app.route('/', tenantChangeRoutes)
	app.route('/', agentRoutes)
	app.route('/', memoryRoutes)
	app.route('/', providerRoutes)
	app.route('/', securityRoutes)
	app.route('/', adminLaneRoutes)
	app.route('/', alertRoutes)
	app.route('/', secretRoutes)
	app.route('/', channelRoutes)
	app.route('/', scheduleRoutes)
	app.route('/', channelAccessRoutes)
	app.route('/', keyRoutes)
	app.route('/', policyRoutes)
	app.route('/', auditRoutes)
	app.route('/', auditCheckpointRoutes)
	app.route('/', sessionRoutes)
	app.route('/', messageRoutes)
	app.route('/', runRoutes)
	app.route('/', streamRoutes)
	app.route('/', approvalRoutes)
	app.route('/', pendingApprovalRoutes)
	app.route('/', deliveryRoutes)
	app.route('/', toolExecutionRoutes)
	app.route('/', metricRoutes)
	app.route('/', completionRoutes)
	app.route('/', embeddingRoutes)
	app.route('/', responseRoutes)
	app.route('/', modelRoutes)

	app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
		type: 'http',
		scheme: 'bearer',
		description:
			'An API key (ek_<id>_<secret>), a JWT (when a JWKS is configured) or the bootstrap admin token (EDGECLAW_ADMIN_TOKEN).',
	})
	app.doc31('/openapi.json', {
		openapi: '3.1.0',
		info: {
			title: 'edgeclaw',
			version: VERSION,
			description: 'Agentic-AI gateway on Cloudflare Workers. Errors are RFC 9457 problem+json.',
		},
	})

	assertEveryRouteHasARule(app.routes, SELF_AUTHORISING)
	app.onError(errorHandler(ERROR_DIALECTS))
	app.notFound(notFoundHandler(app, ERROR_DIALECTS))
	return app
}

export type Gateway = ReturnType<typeof createGateway>
