// Discord interaction payloads shaped as in Discord's documentation (Receiving and Responding),
// and signing them as Discord does: Ed25519 over timestamp + body with a key made in the test.
import { hex } from '../../src/security/bytes'

export const APPLICATION_ID = '290926444748734465'
export const GUILD_ID = '290926798626357999'
export const CHANNEL_ID = '645027906669510667'
export const USER_ID = '53908232506183680'

const user = {
	id: USER_ID,
	username: 'mason',
	global_name: 'Mason',
	avatar: 'a_d5efa99b3eeaa7dd43acca82f5692432',
	discriminator: '0',
	public_flags: 131141,
}

export const PING = {
	id: '786008729715212337',
	application_id: APPLICATION_ID,
	type: 1,
	token: 'A_UNIQUE_TOKEN',
	version: 1,
}

/** `/ask message:<text>` in a server channel (the docs' command example, with our option). */
export const GUILD_COMMAND = {
	id: '786008729715212338',
	application_id: APPLICATION_ID,
	type: 2,
	token: 'aW50ZXJhY3Rpb246Nzg2MDA4NzI5NzE1MjEyMzM4OnRva2Vu',
	version: 1,
	guild_id: GUILD_ID,
	channel_id: CHANNEL_ID,
	app_permissions: '442368',
	guild_locale: 'en-US',
	locale: 'en-US',
	member: {
		user,
		roles: ['539082325061836999'],
		premium_since: null,
		permissions: '2147483647',
		pending: false,
		nick: null,
		mute: false,
		joined_at: '2017-03-13T19:19:14.040000+00:00',
		deaf: false,
	},
	data: {
		id: '771825006014889984',
		name: 'ask',
		type: 1,
		options: [
			{ type: 5, name: 'private', value: true },
			{ type: 3, name: 'message', value: 'What is the capital of France?' },
		],
	},
}

/** A command in a DM with the bot: `user` instead of `member`, no guild. */
export const DM_COMMAND = {
	id: '786008729715212339',
	application_id: APPLICATION_ID,
	type: 2,
	token: 'dm-interaction-token',
	version: 1,
	channel_id: '1053787533139521637',
	context: 1,
	user: { ...user, global_name: null },
	data: {
		id: '771825006014889984',
		name: 'cardsearch',
		type: 1,
		options: [{ type: 3, name: 'cardname', value: 'The Gitrog Monster' }],
	},
}

/** A press of an approval button on the bot's prompt (the docs' component example). */
export const APPROVAL_PRESS = {
	id: '846462639134605312',
	application_id: APPLICATION_ID,
	type: 3,
	token: 'component-interaction-token',
	version: 1,
	guild_id: GUILD_ID,
	channel_id: CHANNEL_ID,
	member: { user, roles: [], permissions: '2147483647', pending: false, deaf: false, mute: false },
	message: {
		id: '846462639134605000',
		type: 0,
		content: 'Approval needed: `shell`',
		channel_id: CHANNEL_ID,
		author: { id: APPLICATION_ID, username: 'edgeclaw', bot: true },
		components: [{ type: 1, components: [{ type: 2, style: 3, custom_id: 'ap:apr-1:once' }] }],
	},
	data: { custom_id: 'ap:apr-1:always', component_type: 2 },
}

export interface SigningKey {
	publicKeyHex: string
	sign(timestamp: string, body: string | Uint8Array): Promise<Headers>
}

/** A fresh Ed25519 application key; `sign` gives the headers Discord would send with `body`. */
export async function discordSigningKey(): Promise<SigningKey> {
	const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
		'sign',
		'verify',
	])) as CryptoKeyPair
	const raw = (await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer
	return {
		publicKeyHex: hex(raw),
		async sign(timestamp, body) {
			const stamp = new TextEncoder().encode(timestamp)
			const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
			const message = new Uint8Array(stamp.length + bytes.length)
			message.set(stamp)
			message.set(bytes, stamp.length)
			const signature = await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, message)
			return new Headers({
				'content-type': 'application/json',
				'x-signature-ed25519': hex(signature),
				'x-signature-timestamp': timestamp,
			})
		},
	}
}
