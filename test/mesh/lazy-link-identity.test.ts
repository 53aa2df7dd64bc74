import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../../protocol/index.ts';
import { createLazyLinkAuthenticator } from '../../web/mesh/link/lazy-link-identity.ts';
import { createMemoryPinStore, type LinkContext } from '../../web/mesh/link/link-identity.ts';

/** An SDP with just the line the proof reads. */
const sdp = (byte: string) => `v=0\r\na=fingerprint:sha-256 ${Array(32).fill(byte).join(':')}\r\n`;

describe('the link authenticator loaded with the first link', () => {
  it('proves and checks link proofs as the eager one does, refusals and pins included', async () => {
    const a = (await generateIdentity()).identity;
    const b = (await generateIdentity()).identity;
    const atA: LinkContext = { localId: a.peerId, remoteId: b.peerId, localSdp: sdp('AA'), remoteSdp: sdp('BB') };
    const atB: LinkContext = { localId: b.peerId, remoteId: a.peerId, localSdp: sdp('BB'), remoteSdp: sdp('AA') };
    const pins = createMemoryPinStore();
    const authA = createLazyLinkAuthenticator({ identity: a });
    const authB = createLazyLinkAuthenticator({ identity: b, pins });
    // The key given is this peer's identity at once, before any module loaded.
    expect((await authA.identity()).peerId).toBe(a.peerId);
    // Both at once, before either module loaded: each waits for it.
    const [proofA, proofB] = await Promise.all([authA.prove(atA), authB.prove(atB)]);
    expect(await authB.verify(atB, proofA)).toMatchObject({ ok: true, keyDerived: true, pin: 'new' });
    expect(await pins.get(a.peerId)).toEqual(a.publicIdentity);
    expect(await authA.verify(atA, proofB)).toMatchObject({ ok: true });
    // Another connection's proof (other fingerprints) is refused, with the reason.
    expect(await authB.verify({ ...atB, remoteSdp: sdp('EE') }, proofA)).toMatchObject({ ok: false, reason: 'fingerprint-mismatch' });
    expect(await authB.verify(atB, { type: 'chat' })).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('makes a key of its own when given none', async () => {
    const auth = createLazyLinkAuthenticator();
    const own = await auth.identity();
    expect(own.peerId).toMatch(/^k[0-9a-f]{32}$/);
    expect(await auth.identity()).toBe(own);
  });
});
