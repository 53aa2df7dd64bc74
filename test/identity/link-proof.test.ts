import { describe, expect, it } from 'vitest';
import { generateIdentity, LinkProofSchema, validate, type Identity } from '../../protocol/index.ts';
import { encodeJson } from '../../web/mesh/channel/framing.ts';
import { startLinkHandshake } from '../../web/mesh/link/link-handshake.ts';
import { createLinkAuthenticator, createMemoryPinStore, type LinkContext } from '../../web/mesh/link/link-identity.ts';
import { makeMessage } from '../../web/mesh/calls/message-factory.ts';
import { clockOf, type Clock } from '../../web/mesh/platform.ts';
import { loopback } from './helpers/identity-peers.ts';

/** An SDP with just the line the proof reads. */
const sdp = (byte: string) => `v=0\r\na=fingerprint:sha-256 ${Array(32).fill(byte).join(':')}\r\n`;
const FP = { a: sdp('AA'), b: sdp('BB'), m: sdp('EE') };

async function pair() {
  const a = (await generateIdentity()).identity;
  const b = (await generateIdentity()).identity;
  // What each end sees of the same honest connection.
  const atA: LinkContext = { localId: a.peerId, remoteId: b.peerId, localSdp: FP.a, remoteSdp: FP.b };
  const atB: LinkContext = { localId: b.peerId, remoteId: a.peerId, localSdp: FP.b, remoteSdp: FP.a };
  return { a, b, atA, atB };
}
/** Timers that fire only when the test advances time (ms). */
function manualClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  let next = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => t,
    elapsed: () => t,
    set: (fn, ms) => (timers.set(++next, { at: t + ms, fn }), next),
    clear: (h) => void timers.delete(h as number),
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const due = [...timers].filter(([, v]) => v.at <= end).sort((x, y) => x[1].at - y[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        t = due[1].at;
        due[1].fn();
      }
      t = end;
    },
  };
}
const authFor = (identity: Identity, o: Parameters<typeof createLinkAuthenticator>[0] = {}) => createLinkAuthenticator({ identity, ...o });

describe('link proof (real WebCrypto)', () => {
  it('is a valid LinkProof that the other end of the same connection accepts', async () => {
    const { a, b, atA, atB } = await pair();
    const proof = await authFor(a).prove(atA);
    expect(validate(LinkProofSchema, JSON.parse(JSON.stringify(proof))).ok).toBe(true);
    expect(proof).toMatchObject({ v: 1, type: 'link-proof', from: a.peerId, to: b.peerId, payload: { fingerprints: { from: `sha-256 ${Array(32).fill('AA').join(':')}` } } });
    expect(await authFor(b).verify(atB, proof)).toMatchObject({ ok: true, keyDerived: true, pin: 'new' });
  });

  it('refuses with a reason naming what is wrong', async () => {
    const { a, b, atA, atB } = await pair();
    const m = (await generateIdentity()).identity;
    const verifyAtB = (proof: unknown, ctx = atB) => authFor(b).verify(ctx, proof);
    const honest = await authFor(a).prove(atA);

    expect(await verifyAtB(makeMessage(a.peerId, b.peerId, 'ping', { sentAt: 1 }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(await verifyAtB(undefined)).toMatchObject({ ok: false, reason: 'malformed' });
    // A proof made for another connection partner.
    const toM = await authFor(a).prove({ ...atA, remoteId: m.peerId });
    expect(await verifyAtB(toM)).toMatchObject({ ok: false, reason: 'wrong-peer' });
    // Someone else's key under a's key-derived id.
    const forged = await authFor(m).prove({ ...atA });
    expect(await verifyAtB(forged)).toMatchObject({ ok: false, reason: 'id-mismatch' });
    // A man in the middle: b's connection ends at m's certificate, a signed its own view.
    expect(await verifyAtB(honest, { ...atB, remoteSdp: FP.m })).toMatchObject({ ok: false, reason: 'fingerprint-mismatch' });
    expect(await verifyAtB(honest, { ...atB, localSdp: FP.m })).toMatchObject({ ok: false, reason: 'fingerprint-mismatch' });
    expect(await verifyAtB(honest, { ...atB, remoteSdp: 'v=0\r\n' })).toMatchObject({ ok: false, reason: 'fingerprint-mismatch' });
    // Tampered statement: fingerprints rewritten to match, signature no longer does.
    const rewritten = await authFor(a).prove({ ...atA, remoteSdp: FP.m });
    const spliced = { ...rewritten, payload: { ...rewritten.payload, fingerprints: honest.payload.fingerprints } };
    expect(await verifyAtB(spliced)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(await verifyAtB({ ...honest, payload: { ...honest.payload, signature: 'A'.repeat(86) } })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('pins plain-name ids: refuses another key by default, warns and re-pins under "warn"', async () => {
    const [k1, k2] = [(await generateIdentity()).identity, (await generateIdentity()).identity];
    const b = (await generateIdentity()).identity;
    const ctxAt = (local: string): LinkContext => ({ localId: local, remoteId: 'bob', localSdp: FP.b, remoteSdp: FP.a });
    const bobCtx: LinkContext = { localId: 'bob', remoteId: b.peerId, localSdp: FP.a, remoteSdp: FP.b };
    const pins = createMemoryPinStore();
    const strict = authFor(b, { pins });
    expect(await strict.verify(ctxAt(b.peerId), await authFor(k1).prove(bobCtx))).toMatchObject({ ok: true, keyDerived: false, pin: 'new' });
    expect(await strict.verify(ctxAt(b.peerId), await authFor(k1).prove(bobCtx))).toMatchObject({ ok: true, pin: 'known' });
    expect(await strict.verify(ctxAt(b.peerId), await authFor(k2).prove(bobCtx))).toMatchObject({ ok: false, reason: 'pin-mismatch' });
    const lax = authFor(b, { pins, pinPolicy: 'warn' });
    expect(await lax.verify(ctxAt(b.peerId), await authFor(k2).prove(bobCtx))).toMatchObject({ ok: true, pin: 'changed' });
    expect(await pins.get('bob')).toEqual(k2.publicIdentity);
  });

  it('heals a lost first proof: the waiting side re-sends, the other answers a repeated proof', async () => {
    const { a, b, atA, atB } = await pair();
    const clock = clockOf(loopback());
    const text = (m: Uint8Array) => new TextDecoder().decode(m);
    const toA: Uint8Array[] = [];
    const appAtA: string[] = [];
    let dropNextToA = true;
    // A's handshake ends; b's first message to A (its proof) is lost, like libdatachannel loses it.
    let hsA!: ReturnType<typeof startLinkHandshake>;
    let hsB!: ReturnType<typeof startLinkHandshake>;
    const deliverToA = (bytes: Uint8Array) => {
      toA.push(bytes);
      if (!hsA.receive(bytes)) appAtA.push(text(bytes));
    };
    hsA = startLinkHandshake({ auth: authFor(a), ctx: atA, clock, timeoutMs: 5000, resendAfterMs: 20, send: async (bytes) => void queueMicrotask(() => hsB.receive(bytes)) });
    hsB = startLinkHandshake({
      auth: authFor(b), ctx: atB, clock, timeoutMs: 5000, resendAfterMs: 5000,
      send: async (bytes) => {
        if (dropNextToA) return void (dropNextToA = false);
        queueMicrotask(() => deliverToA(bytes));
      },
    });
    // B verifies A at once and starts talking; A holds that until B's proof arrives and is checked.
    expect(await hsB.result).toMatchObject({ ok: true });
    expect(hsB.release()).toEqual([]);
    deliverToA(encodeJson({ early: 'from b' }));
    expect(await hsA.result).toMatchObject({ ok: true });
    expect(toA.map((m) => JSON.parse(text(m)) as { type?: string }).map((m) => m.type ?? 'app')).toEqual(['app', 'link-proof']);
    expect(hsA.release().map(text)).toEqual(['{"early":"from b"}']);
    // Released: application messages are the caller's; a repeated proof is still taken (and answered).
    deliverToA(encodeJson({ late: 1 }));
    expect(appAtA).toEqual(['{"late":1}']);
  });

  it('on the end that received the channel, sends its proof only after the remote\'s first message, and before judging it', async () => {
    // Chromium drops a send issued right after it announced the channel (docs/development.md).
    const { a, b, atA, atB } = await pair();
    const clock = clockOf(loopback());
    const events: string[] = [];
    const auth = authFor(b);
    const verify = auth.verify.bind(auth);
    const hs = startLinkHandshake({
      auth: { ...auth, verify: (ctx, m) => (events.push('verify'), verify(ctx, m)) },
      ctx: atB, clock, timeoutMs: 5000, resendAfterMs: 5000, waitForRemote: true,
      send: async () => void events.push('send'),
    });
    // Our proof is signed and ready long before the remote's arrives, yet nothing goes out.
    const proofA = encodeJson(await authFor(a).prove(atA));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
    expect(hs.receive(proofA)).toBe(true);
    expect(await hs.result).toMatchObject({ ok: true });
    expect(events).toEqual(['send', 'verify']);

    // No message at all: the held proof goes out at the first re-send time, then re-sends follow.
    const manual = manualClock();
    const sent: number[] = [];
    const lonely = startLinkHandshake({ auth: authFor(b), ctx: atB, clock: manual, timeoutMs: 5000, resendAfterMs: 20, waitForRemote: true, send: async () => void sent.push(manual.now()) });
    await new Promise((resolve) => setImmediate(resolve));
    manual.advance(19);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
    manual.advance(1);
    await expect.poll(() => sent).toEqual([20]);
    // Then the first re-send, one re-send interval later (not before).
    manual.advance(19);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([20]);
    manual.advance(1);
    await expect.poll(() => sent).toEqual([20, 40]);
    lonely.cancel();
  });

  it('makes its proof only once the remote description is applied (Chromium can open the channel before)', async () => {
    const { a, b, atA, atB } = await pair();
    const clock = clockOf(loopback());
    const sent: Uint8Array[] = [];
    let remoteSdp: string | undefined;
    let described!: () => void;
    const ready = new Promise<void>((r) => (described = r));
    const ctx = { ...atB, get remoteSdp() { return remoteSdp; } };
    const hs = startLinkHandshake({ auth: authFor(b), ctx, send: async (bytes) => void sent.push(bytes), clock, timeoutMs: 5000, ready });
    hs.receive(encodeJson(await authFor(a).prove(atA)));
    // Without the answer there is no remote fingerprint: nothing is made, sent or judged yet.
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    remoteSdp = atB.remoteSdp;
    described();
    expect(await hs.result).toMatchObject({ ok: true });
    expect(sent).toHaveLength(1);
  });

  it('answers a repeated proof a bounded number of times', async () => {
    const { a, b, atA, atB } = await pair();
    const clock = clockOf(loopback());
    const sent: Uint8Array[] = [];
    const hs = startLinkHandshake({ auth: authFor(b), ctx: atB, send: async (bytes) => void sent.push(bytes), clock, timeoutMs: 5000 });
    const proofA = encodeJson(await authFor(a).prove(atA));
    expect(hs.receive(proofA)).toBe(true);
    expect(await hs.result).toMatchObject({ ok: true });
    hs.release();
    for (let i = 0; i < 10; i++) expect(hs.receive(proofA)).toBe(true);
    await expect.poll(() => sent.length).toBe(4);
    expect(new Set(sent.map((m) => new TextDecoder().decode(m))).size).toBe(1);
  });

  it('holds messages that follow the proof until the verdict, and times out without one', async () => {
    const { a, b, atA, atB } = await pair();
    const clock = clockOf(loopback());
    const sent: Uint8Array[] = [];
    const hs = startLinkHandshake({ auth: authFor(b), ctx: atB, send: async (bytes) => void sent.push(bytes), clock, timeoutMs: 5000 });
    hs.receive(encodeJson(await authFor(a).prove(atA)));
    hs.receive(encodeJson({ early: 1 }));
    hs.receive(encodeJson({ early: 2 }));
    expect(await hs.result).toMatchObject({ ok: true });
    expect(hs.release().map((m) => new TextDecoder().decode(m))).toEqual(['{"early":1}', '{"early":2}']);
    // Our own proof went out first.
    expect(sent).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(sent[0]))).toMatchObject({ type: 'link-proof', from: b.peerId });

    const silent = startLinkHandshake({ auth: authFor(b), ctx: atB, send: async () => undefined, clock, timeoutMs: 30 });
    expect(await silent.result).toMatchObject({ ok: false, reason: 'timeout' });
    const noFingerprint = startLinkHandshake({ auth: authFor(b), ctx: { ...atB, localSdp: undefined }, send: async () => undefined, clock, timeoutMs: 5000 });
    expect(await noFingerprint.result).toMatchObject({ ok: false, reason: 'local-error' });
  });
});
