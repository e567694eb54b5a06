// The generic webhook channel's signatures: Standard Webhooks, shared with alert notifications
// (src/security/standard-webhooks.ts).
export {
	signStandardWebhook,
	standardWebhookHeaders,
	verifyStandardWebhook,
	WEBHOOK_TOLERANCE_S,
	webhookKey,
} from '../../security/standard-webhooks'
