import * as v from 'valibot';
import { fromBase64Url, toBase64Url } from './base64.ts';

/**
 * Self-certifying peer identity, shared by server, browser and Node (WebCrypto only). A peer
 * holds an Ed25519 key (ECDSA P-256 where Ed25519 is missing); its id is a hash of the public
 * key, so nobody — not the signaling server — can claim the id without the private key.
 */

export type IdentityAlg = 'Ed25519' | 'ECDSA-P256';
export const IdentityAlgSchema = v.picklist(['Ed25519', 'ECDSA-P256'], 'must be "Ed25519" or "ECDSA-P256"');
/** Key-derived peer ids: `k` + 32 lower-case hex chars (128 bits of SHA-256 of the raw key). */
export const KEY_PEER_ID_PATTERN = /^k[0-9a-f]{32}$/;

export const PublicIdentitySchema = v.object({
  alg: IdentityAlgSchema,
  /** Raw public key, base64url. */
  key: v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9_-]{40,100}$/, 'must be a base64url raw public key')),
});
export type PublicIdentity = v.InferOutput<typeof PublicIdentitySchema>;

/** A base64url signature made with an identity key (`signText`). */
export const SignatureSchema = v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9_-]{40,200}$/, 'must be a base64url signature'));

export interface Identity {
  peerId: string;
  publicIdentity: PublicIdentity;
  privateKey: CryptoKey;
}

const params = (alg: IdentityAlg) =>
  alg === 'Ed25519'
    ? { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } }
    : { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } };

/** The peer id a public key stands for. */
export async function peerIdForKey(pub: PublicIdentity): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', fromBase64Url(pub.key)));
  return 'k' + [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Builds an Identity from a (possibly non-extractable) private key and its public key. */
export async function identityFromKeys(alg: IdentityAlg, privateKey: CryptoKey, publicKey: CryptoKey): Promise<Identity> {
  const publicIdentity = { alg, key: toBase64Url(new Uint8Array(await crypto.subtle.exportKey('raw', publicKey))) };
  return { peerId: await peerIdForKey(publicIdentity), publicIdentity, privateKey };
}

/** A new identity: Ed25519 where the platform has it, else ECDSA P-256; `extractable` for files. */
export async function generateIdentity(extractable = false): Promise<{ identity: Identity; keyPair: CryptoKeyPair }> {
  for (const alg of ['Ed25519', 'ECDSA-P256'] as const) {
    try {
      const keyPair = (await crypto.subtle.generateKey(params(alg).gen, extractable, ['sign', 'verify'])) as CryptoKeyPair;
      return { identity: await identityFromKeys(alg, keyPair.privateKey, keyPair.publicKey), keyPair };
    } catch {
      // Ed25519 is missing in some browsers; fall through to P-256.
    }
  }
  throw new Error('this platform has neither Ed25519 nor ECDSA P-256 in WebCrypto');
}

/** Signs UTF-8 `text`; base64url signature. */
export async function signText(identity: Identity, text: string): Promise<string> {
  const sig = await crypto.subtle.sign(params(identity.publicIdentity.alg).sign, identity.privateKey, new TextEncoder().encode(text));
  return toBase64Url(new Uint8Array(sig));
}

/** Verifies a base64url signature over UTF-8 `text`; false (never throws) for any malformed input. */
export async function verifyText(pub: PublicIdentity, text: string, signature: string): Promise<boolean> {
  try {
    const p = params(pub.alg);
    const key = await crypto.subtle.importKey('raw', fromBase64Url(pub.key), p.gen, false, ['verify']);
    return await crypto.subtle.verify(p.sign, key, fromBase64Url(signature), new TextEncoder().encode(text));
  } catch {
    return false;
  }
}

/** What a peer signs at token time to prove it holds the key behind its id. */
export const tokenProofText = (nonce: string, peerId: string) => `tabmesh-token-proof:${nonce}:${peerId}`;

/**
 * What each end of a DataChannel signs: both identities and both DTLS fingerprints (from the
 * local and remote SDP), so a statement cannot be replayed on another connection.
 */
export const linkProofText = (p: { signer: string; other: string; signerFingerprint: string; otherFingerprint: string }) =>
  `tabmesh-link-proof:${p.signer}:${p.other}:${p.signerFingerprint.toUpperCase()}:${p.otherFingerprint.toUpperCase()}`;

/** The DTLS fingerprint (`sha-256 AB:CD:…`) from an SDP; undefined when absent. */
export function sdpFingerprint(sdp: string): string | undefined {
  const m = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  return m ? `${m[1]!.toLowerCase()} ${m[2]!.toUpperCase()}` : undefined;
}

/** The `identity` field of a `POST /api/token` body: `nonce` (from `/api/token/nonce`) signed for `identity.peerId`. */
export async function tokenProof(identity: Identity, nonce: string): Promise<{ publicKey: PublicIdentity; nonce: string; signature: string }> {
  return { publicKey: identity.publicIdentity, nonce, signature: await signText(identity, tokenProofText(nonce, identity.peerId)) };
}
