-- A fresh deployment serves at once: the `default` tenant with one agent, `main`, on the
-- built-in offline model (deterministic, no network; not an LLM). Change its model with the
-- agents API once real providers are configured.
INSERT INTO `tenants` (`id`, `name`) VALUES ('default', 'Default tenant')
ON CONFLICT (`id`) DO NOTHING;
--> statement-breakpoint
INSERT INTO `agents` (`tenant_id`, `id`, `name`, `config`) VALUES (
	'default',
	'main',
	'Main agent',
	'{"instructions":"You are edgeclaw''s default agent. Be brief and helpful.","model":{"primary":"offline:echo","fallbacks":[]},"tools":{"profile":"minimal","allow":[],"deny":[]}}'
)
ON CONFLICT (`tenant_id`, `id`) DO NOTHING;
