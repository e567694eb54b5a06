// Where the CLI finds its gateway and its token. In order:
//   url:   --url, EDGECLAW_URL, the config file's url, http://127.0.0.1:8787 (`npm run dev`)
//   token: EDGECLAW_TOKEN; else the config file's token when the url is the config file's url;
//          else EDGECLAW_ADMIN_TOKEN from the environment; else, for a loopback url only,
//          EDGECLAW_ADMIN_TOKEN from ./.dev.vars (a local checkout).
// A stored token is never sent to another url than the one it was stored for.
//
// The config file is `$EDGECLAW_CONFIG`, else `$XDG_CONFIG_HOME/edgeclaw/config.json` (default
// `~/.config/edgeclaw/config.json`), written 0600 in a 0700 directory.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { CliError, EXIT } from './errors.ts'

export const DEFAULT_URL = 'http://127.0.0.1:8787'

export interface StoredConfig {
	url: string
	token: string
	/** The tenant the platform admin token acts in. */
	tenant?: string
}

export interface Resolved {
	url: string
	token: string | undefined
	tenant: string | undefined
	/** Where the token came from, for `status` and `doctor` (never the token itself). */
	tokenSource: 'EDGECLAW_TOKEN' | 'config' | 'EDGECLAW_ADMIN_TOKEN' | '.dev.vars' | 'none'
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
	if (env.EDGECLAW_CONFIG) return env.EDGECLAW_CONFIG
	const base = env.XDG_CONFIG_HOME || join(homedir(), '.config')
	return join(base, 'edgeclaw', 'config.json')
}

export function readConfig(path = configPath()): StoredConfig | undefined {
	if (!existsSync(path)) return undefined
	let parsed: unknown
	try {
		parsed = JSON.parse(readFileSync(path, 'utf8'))
	} catch (error) {
		throw new CliError(
			`${path} is not valid JSON (${(error as Error).message}); run \`edgeclaw login\` again or delete it.`,
			EXIT.usage,
		)
	}
	const c = parsed as Partial<StoredConfig>
	if (typeof c.url !== 'string' || typeof c.token !== 'string') {
		throw new CliError(`${path} lacks url or token; run \`edgeclaw login\` again.`, EXIT.usage)
	}
	return {
		url: c.url,
		token: c.token,
		...(typeof c.tenant === 'string' ? { tenant: c.tenant } : {}),
	}
}

/** Writes the config file readable by its owner only (0600, directory 0700). */
export function writeConfig(config: StoredConfig, path = configPath()): void {
	mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
	writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
	// An existing file keeps its mode on write: set it.
	chmodSync(path, 0o600)
}

/** The mode bits of the config file others may use (0 when only its owner can), or undefined. */
export function configExposure(path = configPath()): number | undefined {
	if (!existsSync(path)) return undefined
	return statSync(path).mode & 0o077
}

/** `http://host:port` with no trailing slash; a usage error when it is not an http(s) URL. */
export function normaliseUrl(raw: string): string {
	let url: URL
	try {
		url = new URL(raw)
	} catch {
		throw new CliError(
			`${raw} is not a URL (expected e.g. https://edgeclaw.example.com).`,
			EXIT.usage,
		)
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:')
		throw new CliError(`${raw}: only http and https URLs are supported.`, EXIT.usage)
	return url.origin
}

export function isLoopback(url: string): boolean {
	const host = new URL(url).hostname
	return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** EDGECLAW_ADMIN_TOKEN from `.dev.vars` in `dir` (what `npm run dev` writes), if any. */
export function devVarsToken(dir = process.cwd()): string | undefined {
	const file = join(dir, '.dev.vars')
	if (!existsSync(file)) return undefined
	const value = /^EDGECLAW_ADMIN_TOKEN=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim()
	return value ? value.replace(/^"(.*)"$/, '$1') : undefined
}

export function resolve(
	flags: { url?: string | undefined; tenant?: string | undefined },
	env: NodeJS.ProcessEnv = process.env,
): Resolved {
	const stored = readConfig(configPath(env))
	const url = normaliseUrl(flags.url || env.EDGECLAW_URL || stored?.url || DEFAULT_URL)
	const tenant =
		flags.tenant ?? env.EDGECLAW_TENANT ?? (stored?.url === url ? stored.tenant : undefined)
	if (env.EDGECLAW_TOKEN)
		return { url, token: env.EDGECLAW_TOKEN, tenant, tokenSource: 'EDGECLAW_TOKEN' }
	if (stored && stored.url === url)
		return { url, token: stored.token, tenant, tokenSource: 'config' }
	// What `npm run dev` and deploy pipelines already export.
	if (env.EDGECLAW_ADMIN_TOKEN)
		return { url, token: env.EDGECLAW_ADMIN_TOKEN, tenant, tokenSource: 'EDGECLAW_ADMIN_TOKEN' }
	if (isLoopback(url)) {
		const token = devVarsToken()
		if (token) return { url, token, tenant, tokenSource: '.dev.vars' }
	}
	return { url, token: undefined, tenant, tokenSource: 'none' }
}
