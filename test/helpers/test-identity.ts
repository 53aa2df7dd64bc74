import { createHash, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { KEY_PEER_ID_PATTERN, tokenProof, type Identity, type TokenRequest } from '../../protocol/index.ts';

/**
 * Deterministic key identities for tests and benchmarks: a name (`'alice'`) always stands for the
 * same Ed25519 key and so the same `k…` peer id, in every process. The server issues tokens only
 * for key-derived ids proven with the key, so tests name their peers and let this derive the rest.
 * A `k…` id passes through as itself (its key must come from `identityFor` earlier in the process).
 */

// PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const byId = new Map<string, { name: string; der: Buffer; publicKey: string }>();
const identities = new Map<string, Promise<Identity>>();

function derive(name: string): { id: string; der: Buffer; publicKey: string } {
  const seed = createHash('sha256').update(`tabmesh-test-identity:${name}`).digest();
  const der = Buffer.concat([PKCS8_ED25519, seed]);
  const publicKey = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x!;
  const id = 'k' + createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 32);
  byId.set(id, { name, der, publicKey });
  return { id, der, publicKey };
}

const ids = new Map<string, string>();

/** The `k…` peer id the key derived from `name` stands for (synchronous, cached). */
export function idFor(name: string): string {
  if (KEY_PEER_ID_PATTERN.test(name)) return name;
  let id = ids.get(name);
  if (!id) ids.set(name, (id = derive(name).id));
  return id;
}

/** The identity (private key included) derived from `name`; a `k…` id must have been derived here before. */
export function identityFor(name: string): Promise<Identity> {
  const id = idFor(name);
  let identity = identities.get(id);
  if (!identity) {
    const entry = byId.get(id);
    if (!entry) return Promise.reject(new Error(`identityFor: "${name}" is a key-derived id with no known key; pass a name instead`));
    identity = webcrypto.subtle.importKey('pkcs8', entry.der, { name: 'Ed25519' }, false, ['sign']).then((privateKey) => ({
      peerId: id, publicIdentity: { alg: 'Ed25519' as const, key: entry.publicKey }, privateKey: privateKey as CryptoKey,
    }));
    identities.set(id, identity);
  }
  return identity;
}

/** The name an id was derived from (for readable failure messages), or the id itself. */
export const nameOf = (id: string): string => byId.get(id)?.name ?? id;

/** A `POST /api/token` body for `name`'s identity: peer id plus the proof over `nonce`. */
export async function tokenRequestFor(name: string, nonce: string): Promise<TokenRequest> {
  const identity = await identityFor(name);
  return { peerId: identity.peerId, identity: await tokenProof(identity, nonce) };
}

/** The whole `POST /api/token` answer for `name`'s identity over real HTTP (nonce, then the signed request). */
export async function fetchTokenResponse(url: string, key: string, name: string): Promise<{ token: string; expiresAt: number; peerId: string }> {
  const base = url.replace(/\/+$/, '');
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const nonceRes = await fetch(`${base}/api/token/nonce`, { method: 'POST', headers });
  if (!nonceRes.ok) throw new Error(`token nonce request failed: ${nonceRes.status} ${await nonceRes.text()}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const res = await fetch(`${base}/api/token`, { method: 'POST', headers, body: JSON.stringify(await tokenRequestFor(name, nonce)) });
  if (!res.ok) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token: string; expiresAt: number; peerId: string };
}
