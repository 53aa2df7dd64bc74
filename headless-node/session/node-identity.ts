import { webcrypto } from 'node:crypto';
import { generateIdentity, identityFromKeys, type Identity, type IdentityAlg } from '../../protocol/index.ts';
import type { DataDir } from './data-dir.ts';

/**
 * This node's long-lived identity, the same scheme as the hub's: an Ed25519 key (ECDSA P-256
 * where Ed25519 is missing) in identity.json (0600), peer id `k` + 32 hex of SHA-256(public key).
 */
interface StoredIdentity {
  version: 2;
  peerId: string;
  alg: IdentityAlg;
  publicKey: webcrypto.JsonWebKey;
  privateKey: webcrypto.JsonWebKey;
  createdAt: string;
  /** The `node-…` id this key had before key-derived ids (files written by older versions). */
  previousPeerId?: string;
}

/** identity.json as older versions wrote it: ECDSA P-256, `node-` + base32 id, no version. */
interface LegacyIdentity {
  peerId: string;
  publicKey: webcrypto.JsonWebKey;
  privateKey: webcrypto.JsonWebKey;
  createdAt: string;
}

const FILE = 'identity.json';
const IMPORT = { Ed25519: { name: 'Ed25519' }, 'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' } } as const;

async function fromJwk(alg: IdentityAlg, publicJwk: webcrypto.JsonWebKey, privateJwk: webcrypto.JsonWebKey): Promise<Identity> {
  const publicKey = await webcrypto.subtle.importKey('jwk', publicJwk, IMPORT[alg], true, ['verify']);
  // The key is in a file anyway, but nothing in this process needs to read it back out.
  const privateKey = await webcrypto.subtle.importKey('jwk', privateJwk, IMPORT[alg], false, ['sign']);
  return identityFromKeys(alg, privateKey as CryptoKey, publicKey as CryptoKey);
}

/**
 * Loads the identity from the data dir, creating and saving one (0600) on first run. A file from
 * an older version (`node-…` id) keeps its key and moves to the key-derived id.
 */
export async function loadNodeIdentity(dir: DataDir): Promise<Identity> {
  const stored = dir.read<StoredIdentity | LegacyIdentity>(FILE);
  const where = `${dir.path}/${FILE}`;
  if (stored && 'version' in stored) {
    const identity = await fromJwk(stored.alg, stored.publicKey, stored.privateKey);
    if (identity.peerId !== stored.peerId) throw new Error(`${where}: peerId does not match the key; delete the file to start with a new identity`);
    return identity;
  }
  if (stored) {
    const identity = await fromJwk('ECDSA-P256', stored.publicKey, stored.privateKey);
    dir.write(FILE, {
      version: 2, peerId: identity.peerId, alg: 'ECDSA-P256', publicKey: stored.publicKey, privateKey: stored.privateKey,
      createdAt: stored.createdAt, previousPeerId: stored.peerId,
    } satisfies StoredIdentity);
    return identity;
  }
  const { identity, keyPair } = await generateIdentity(true);
  const alg = identity.publicIdentity.alg;
  const publicKey = await webcrypto.subtle.exportKey('jwk', keyPair.publicKey as webcrypto.CryptoKey);
  const privateKey = await webcrypto.subtle.exportKey('jwk', keyPair.privateKey as webcrypto.CryptoKey);
  dir.write(FILE, { version: 2, peerId: identity.peerId, alg, publicKey, privateKey, createdAt: new Date().toISOString() } satisfies StoredIdentity);
  // Re-imported so the copy in memory is not extractable.
  return fromJwk(alg, publicKey, privateKey);
}
