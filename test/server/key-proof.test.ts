import { describe, expect, it } from 'vitest';
import { generateIdentity, peerIdForKey, signText, verifyText, type Identity } from '../../protocol/index.ts';
import { peerIdForKeySync, verifyTextSync } from '../../server/auth/key-proof.ts';

async function identityOf(alg: 'Ed25519' | 'ECDSA-P256'): Promise<Identity> {
  if (alg === 'Ed25519') return (await generateIdentity()).identity;
  const { identityFromKeys } = await import('../../protocol/index.ts');
  const kp = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  return identityFromKeys('ECDSA-P256', kp.privateKey, kp.publicKey);
}

describe('server key proofs (node:crypto) give the same answers as the shared WebCrypto ones', () => {
  for (const alg of ['Ed25519', 'ECDSA-P256'] as const) {
    it(alg, async () => {
      const id = await identityOf(alg);
      const other = await identityOf(alg);
      expect(id.publicIdentity.alg).toBe(alg);
      expect(peerIdForKeySync(id.publicIdentity)).toBe(await peerIdForKey(id.publicIdentity));
      expect(peerIdForKeySync(id.publicIdentity)).toBe(id.peerId);
      const sig = await signText(id, 'tabmesh-token-proof:n:p');
      const cases: Array<[string, string, string, typeof id.publicIdentity]> = [
        ['valid', 'tabmesh-token-proof:n:p', sig, id.publicIdentity],
        ['other text', 'tabmesh-token-proof:n:q', sig, id.publicIdentity],
        ['other key', 'tabmesh-token-proof:n:p', sig, other.publicIdentity],
        ['truncated signature', 'tabmesh-token-proof:n:p', sig.slice(0, -4), id.publicIdentity],
        ['garbage signature', 'tabmesh-token-proof:n:p', '!!not-base64!!', id.publicIdentity],
        ['short key', 'tabmesh-token-proof:n:p', sig, { alg, key: id.publicIdentity.key.slice(0, 40) }],
        ['wrong alg', 'tabmesh-token-proof:n:p', sig, { alg: alg === 'Ed25519' ? 'ECDSA-P256' : 'Ed25519', key: id.publicIdentity.key }],
      ];
      for (const [what, text, s, pub] of cases) {
        expect({ what, ok: verifyTextSync(pub, text, s) }).toEqual({ what, ok: await verifyText(pub, text, s) });
      }
      expect(verifyTextSync(id.publicIdentity, 'tabmesh-token-proof:n:p', sig)).toBe(true);
    });
  }
});
