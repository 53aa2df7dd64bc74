import { describe, expect, it } from 'vitest';
import { generateIdentity, signText, tokenProofText } from '../../protocol/index.ts';
import { ADMIN_KEY, AGENT_KEY, createTestApp } from '../helpers/in-process.ts';

describe('identity proof at token time', () => {
  const headers = { 'x-api-key': AGENT_KEY };

  it('issues a verified token only to the holder of the key behind a key-derived id', async () => {
    const t = await createTestApp();
    for (const extractable of [false, true]) {
      const { identity } = await generateIdentity(extractable);
      expect(identity.peerId).toMatch(/^k[0-9a-f]{32}$/);
      const { nonce } = (await t.call('POST', '/api/token/nonce', { headers })).body;
      const signature = await signText(identity, tokenProofText(nonce, identity.peerId));
      const body = { peerId: identity.peerId, identity: { publicKey: identity.publicIdentity, nonce, signature } };
      const ok = await t.call('POST', '/api/token', { headers, body });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ peerId: identity.peerId, verified: true });
      // The nonce is single use.
      expect((await t.call('POST', '/api/token', { headers, body })).body.error.code).toBe('bad-nonce');
    }
  });

  it('refuses an id without proof, another key, a bad signature, and unknown nonces', async () => {
    const t = await createTestApp();
    const { identity } = await generateIdentity();
    const { identity: other } = await generateIdentity();
    const bare = await t.call('POST', '/api/token', { headers, body: { peerId: identity.peerId } });
    expect([bare.status, bare.body.error.code]).toEqual([400, 'identity-required']);
    expect(bare.body.error.message).toMatch(/^identity: is required/);
    // The server saw that refusal itself, so it counts as an identity failure (docs/operations.md).
    const metrics = await t.server.app.request('/metrics', { headers: { 'x-api-key': ADMIN_KEY } });
    expect(await metrics.text()).toContain('tabmesh_identity_failures_total{reason="identity-required"} 1');
    const nonce = async () => (await t.call('POST', '/api/token/nonce', { headers })).body.nonce as string;
    const n1 = await nonce();
    const swapped = await t.call('POST', '/api/token', {
      headers, body: { peerId: identity.peerId, identity: { publicKey: other.publicIdentity, nonce: n1, signature: await signText(other, tokenProofText(n1, identity.peerId)) } },
    });
    expect(swapped.body.error.code).toBe('identity-mismatch');
    const n2 = await nonce();
    const forged = await t.call('POST', '/api/token', {
      headers, body: { peerId: identity.peerId, identity: { publicKey: identity.publicIdentity, nonce: n2, signature: await signText(other, tokenProofText(n2, identity.peerId)) } },
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('bad-signature');
    const unknown = await t.call('POST', '/api/token', {
      headers, body: { peerId: identity.peerId, identity: { publicKey: identity.publicIdentity, nonce: 'A'.repeat(24), signature: await signText(identity, tokenProofText('A'.repeat(24), identity.peerId)) } },
    });
    expect(unknown.body.error.code).toBe('bad-nonce');
    expect((await t.call('POST', '/api/token/nonce', {})).status).toBe(401);
    // A plain name gets no token at all, with or without a proof made for it.
    const plain = await t.call('POST', '/api/token', { headers, body: { peerId: 'plain-name' } });
    expect([plain.status, plain.body.error.code]).toEqual([400, 'invalid-body']);
    expect(plain.body.error.message).toMatch(/^peerId: must be a key-derived peer id/);
    const n3 = await nonce();
    const named = await t.call('POST', '/api/token', {
      headers, body: { peerId: 'plain-name', identity: { publicKey: identity.publicIdentity, nonce: n3, signature: await signText(identity, tokenProofText(n3, 'plain-name')) } },
    });
    expect([named.status, named.body.error.code]).toEqual([400, 'invalid-body']);
  });
});
