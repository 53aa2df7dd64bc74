import { createHash, webcrypto } from 'node:crypto';
import type { DataDir } from './data-dir.ts';

/** This node's long-lived identity: an ECDSA P-256 key pair (as the hub uses) and the peer id. */
export interface NodeIdentity {
  peerId: string;
  keys: webcrypto.CryptoKeyPair;
}

interface StoredIdentity {
  peerId: string;
  publicKey: webcrypto.JsonWebKey;
  privateKey: webcrypto.JsonWebKey;
  createdAt: string;
}

const FILE = 'identity.json';
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `node-` + base32 of the first 80 bits of SHA-256(SPKI public key): stable, URL- and log-safe. */
export function peerIdFromSpki(spki: Uint8Array): string {
  const hash = createHash('sha256').update(spki).digest();
  let bits = 0n;
  for (const byte of hash.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let shift = 75n; shift >= 0n; shift -= 5n) out += BASE32[Number((bits >> shift) & 31n)];
  return `node-${out}`;
}

/** Loads the identity from the data dir, creating and saving one (0600) on first run. */
export async function loadNodeIdentity(dir: DataDir): Promise<NodeIdentity> {
  const stored = dir.read<StoredIdentity>(FILE);
  if (stored) {
    const publicKey = await webcrypto.subtle.importKey('jwk', stored.publicKey, ALGORITHM, true, ['verify']);
    const privateKey = await webcrypto.subtle.importKey('jwk', stored.privateKey, ALGORITHM, false, ['sign']);
    const peerId = peerIdFromSpki(new Uint8Array(await webcrypto.subtle.exportKey('spki', publicKey)));
    if (peerId !== stored.peerId) throw new Error(`${dir.path}/${FILE}: peerId does not match the key; delete the file to start with a new identity`);
    return { peerId, keys: { publicKey, privateKey } };
  }
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const peerId = peerIdFromSpki(new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey)));
  dir.write(FILE, {
    peerId,
    publicKey: await webcrypto.subtle.exportKey('jwk', keys.publicKey),
    privateKey: await webcrypto.subtle.exportKey('jwk', keys.privateKey),
    createdAt: new Date().toISOString(),
  } satisfies StoredIdentity);
  return { peerId, keys };
}
