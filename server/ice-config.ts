import type { Config } from './config.ts';
import { toBase64, type IceServer } from '../protocol/index.ts';

/** base64(HMAC-SHA1(secret, username)): the TURN REST scheme coturn's `use-auth-secret` checks. */
export async function turnCredential(secret: string, username: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(username))));
}

/** ICE servers for one peer: STUN as configured, TURN with `expiry:peerId` credentials; `now` in ms. */
export async function iceServersFor(
  config: Pick<Config, 'stunUrls' | 'turnUrls' | 'turnSecret' | 'turnCredentialTtlSeconds'>,
  peerId: string,
  now: number = Date.now(),
): Promise<IceServer[]> {
  const servers: IceServer[] = [];
  if (config.stunUrls.length) servers.push({ urls: config.stunUrls });
  if (config.turnUrls.length && config.turnSecret) {
    const username = `${Math.floor(now / 1000) + config.turnCredentialTtlSeconds}:${peerId}`;
    servers.push({ urls: config.turnUrls, username, credential: await turnCredential(config.turnSecret, username) });
  }
  return servers;
}
