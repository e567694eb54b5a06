// The identifier shape of tenants, agents and similar resources, in a module of its own so that
// code outside the Worker (the web app's tests read the metrics schemas) can use it without
// pulling in the providers.
import { z } from 'zod'

/** Identifiers for tenants, agents and similar resources: lowercase slug, 1–63 chars. */
export const Slug = z
	.string()
	.regex(
		/^[a-z0-9][a-z0-9-]{0,62}$/,
		'must be 1-63 chars of a-z, 0-9 and "-", not starting with "-"',
	)
