import { createHash, createPublicKey, verify } from 'node:crypto';
import { fromBase64Url, type PublicIdentity } from '../../protocol/index.ts';

/**
 * The server's side of protocol/identity.ts (`peerIdForKey`, `verifyText`) with node:crypto
 * (Node and Deno), for the token route: every join checks one key proof, and WebCrypto's
 * asynchronous digest and verify cost ~0.6 ms of server CPU per join on Node 20 (thread-pool jobs)
 * against ~0.1 ms here. Same answers for every input (test/server/key-proof.test.ts checks both
 * algorithms and malformed input against the shared WebCrypto versions).
 */

export function peerIdForKeySync(pub: PublicIdentity): string {
  return 'k' + createHash('sha256').update(fromBase64Url(pub.key)).digest('hex').slice(0, 32);
}

/** Verifies a base64url signature over UTF-8 `text`; false (never throws) for any malformed input. */
export function verifyTextSync(pub: PublicIdentity, text: string, signature: string): boolean {
  try {
    const raw = Buffer.from(fromBase64Url(pub.key));
    const sig = Buffer.from(fromBase64Url(signature));
    const data = Buffer.from(text, 'utf8');
    if (pub.alg === 'Ed25519') {
      if (raw.length !== 32) return false;
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
      return verify(null, data, key, sig);
    }
    // WebCrypto's raw P-256 key is the uncompressed point 04 || x || y; its signatures are r || s.
    if (pub.alg !== 'ECDSA-P256' || raw.length !== 65 || raw[0] !== 4) return false;
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
    return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}
