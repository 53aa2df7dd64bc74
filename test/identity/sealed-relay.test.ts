import { describe, expect, it } from 'vitest';
import { generateIdentity, sealHelloText, signText, type SealHello } from '../../protocol/index.ts';
import { createLinkAuthenticator, createMemoryPinStore } from '../../web/mesh/link/link-identity.ts';
import { clockOf } from '../../web/mesh/platform.ts';
import { createRelaySeal, createSealKeys } from '../../web/mesh/routing/relay-seal.ts';
import { loopback } from './helpers/identity-peers.ts';
import { makeMessage } from '../../web/mesh/calls/message-factory.ts';
import { seesPeers, waitFor } from '../mesh/harness.ts';
import { waitFor as poll } from '../helpers/wait-for.ts';
import { startKeyedPeer, useCompromisedServer } from './helpers/identity-peers.ts';
import type { Frame } from './helpers/malicious-relay.ts';

const ctx = useCompromisedServer();

/** Two keyed peers that never open a DataChannel: everything goes through the (malicious) server. */
async function fallbackPair() {
  const a = await startKeyedPeer(ctx.relay.url, { p2p: false });
  const b = await startKeyedPeer(ctx.relay.url, { p2p: false });
  await seesPeers(a.mesh, [b.id]);
  return { a, b };
}

/** Every `relay` payload the server carries from `from` to `to`, as the server sees it. */
function tapRelay(from: string, to: string) {
  const seen: Frame[] = [];
  const stop = ctx.relay.use({
    up: (sender, f) => {
      if (sender === from && f.type === 'relay' && f.to === to) seen.push(f.payload as Frame);
      return undefined;
    },
  });
  return { seen, stop };
}

describe('sealed relay: the fallback tier over a compromised signaling server', () => {
  // Frame sizes and times stay visible to the server (docs/architecture.md, "What it still can
  // do"): no padding. What it cannot see is what a frame is: every one has the same four fields.
  it('carries calls the server cannot read: a task and a ping look alike but for size (one opaque sealed shape)', async () => {
    const { a, b } = await fallbackPair();
    const tap = tapRelay(a.id, b.id);
    const verifiedByB = waitFor(b.mesh, 'identity', (e) => e.peerId === a.id);
    try {
      const out = await a.mesh.call(b.id, 'echo', { secret: 'the launch code is 0000' });
      // The signed key exchange proved each end's key, as a link proof would have.
      expect(await verifiedByB).toMatchObject({ status: 'verified', keyDerived: true, firstContact: true });
      expect(a.mesh.links().find((l) => l.peerId === b.id)).toMatchObject({ tier: 'fallback', state: 'open', identity: 'verified' });
      expect(out).toMatchObject({ output: { secret: 'the launch code is 0000' }, tier: 'fallback' });
      expect(tap.seen.map((p) => p.type)).toEqual(['seal-hello', 'sealed']);
      expect((await a.mesh.ping(b.id)).tier).toBe('fallback');
      const sealed = tap.seen.slice(1);
      expect(sealed.map((p) => p.type)).toEqual(['sealed', 'sealed']);
      // The task-request and the ping: same fields, same version, counter-only nonce; only `c`'s length differs.
      for (const p of sealed) expect(Object.keys(p).sort()).toEqual(['c', 'n', 'type', 'v']);
      expect(sealed.map((p) => p.v)).toEqual([1, 1]);
      expect((sealed[1]!.n as number) - (sealed[0]!.n as number)).toBe(1);
      const wire = JSON.stringify(tap.seen);
      for (const plain of ['launch code', 'task-request', 'echo', 'ping', Buffer.from('launch code').toString('base64')]) expect(wire).not.toContain(plain);
      expect(b.host.runs).toEqual(['echo']);
    } finally {
      tap.stop();
    }
  });

  it('drops forged, altered and replayed frames and reports them', async () => {
    const { a, b } = await fallbackPair();
    const tap = tapRelay(a.id, b.id);
    try {
      await a.mesh.call(b.id, 'echo', 'first');
      const sealed = tap.seen.find((p) => p.type === 'sealed')!;

      // Forged: a plain MeshMessage in a's name.
      const forged = waitFor(b.mesh, 'error', (e) => e.peerId === a.id && e.code === 'seal-refused');
      ctx.relay.inject(b.id, { type: 'relay', to: b.id, from: a.id, payload: makeMessage(a.id, b.id, 'task-request', { skill: 'echo', input: 'forged' }) });
      expect(await forged).toMatchObject({ message: expect.stringMatching(/not a sealed frame/) });

      // Replayed: the server sends a's earlier frame again.
      const replayed = waitFor(b.mesh, 'error', (e) => e.peerId === a.id && e.code === 'seal-refused');
      ctx.relay.inject(b.id, { type: 'relay', to: b.id, from: a.id, payload: sealed });
      expect(await replayed).toMatchObject({ message: expect.stringMatching(/replayed/) });

      // Altered: one ciphertext character changed on the way (n made fresh so only the tag can catch it).
      const c = sealed.c as string;
      const altered = waitFor(b.mesh, 'error', (e) => e.peerId === a.id && e.code === 'seal-refused');
      ctx.relay.inject(b.id, { type: 'relay', to: b.id, from: a.id, payload: { ...sealed, n: 1000, c: (c[0] === 'A' ? 'B' : 'A') + c.slice(1) } });
      expect(await altered).toMatchObject({ message: expect.stringMatching(/does not decrypt/) });

      expect(b.host.runs).toEqual(['echo']);
      // The honest pair still talks afterwards.
      expect((await a.mesh.call(b.id, 'echo', 'second')).output).toBe('second');
    } finally {
      tap.stop();
    }
  });

  it('refuses a seal-hello from another key in a key-derived peer\'s name', async () => {
    const { a, b } = await fallbackPair();
    const attacker = (await generateIdentity()).identity;
    const ecdh = 'B' + 'A'.repeat(86);
    const payload = { identity: attacker.publicIdentity, ecdh, reply: false, signature: await signText(attacker, sealHelloText(a.id, b.id, ecdh)) };
    const refused = waitFor(b.mesh, 'identity', (e) => e.peerId === a.id && e.status === 'refused');
    ctx.relay.inject(b.id, { type: 'relay', to: b.id, from: a.id, payload: { v: 1, type: 'seal-hello', from: a.id, to: b.id, payload } });
    expect(await refused).toMatchObject({ reason: 'id-mismatch' });
    expect(b.host.runs).toEqual([]);
  });
});

describe('seal-hello checks', () => {
  it('opens a sealed frame that arrives right behind the hello it needs (its key is still being derived), in that order', async () => {
    const [alice, bob] = await Promise.all([generateIdentity(), generateIdentity()]);
    const sent: { a: SealHello[]; b: SealHello[] } = { a: [], b: [] };
    const problems: string[] = [];
    const make = (me: 'a' | 'b', identity: typeof alice.identity, localId: string, remoteId: string) => createRelaySeal({
      localId, remoteId, auth: createLinkAuthenticator({ identity }), keys: createSealKeys(), clock: clockOf(loopback()),
      sendHello: async (h) => void sent[me].push(h),
      onProblem: (code, message) => void problems.push(`${code}: ${message}`),
    });
    const a = make('a', alice.identity, alice.identity.peerId, bob.identity.peerId);
    const b = make('b', bob.identity, bob.identity.peerId, alice.identity.peerId);
    // Alice wants to send: her hello goes out; Bob takes it, answers, and seals at once.
    const first = a.seal(new TextEncoder().encode('to bob'));
    await poll(async () => sent.a.length === 1 || undefined, 5000, 'alice\'s hello');
    await b.open(sent.a[0]);
    await poll(async () => sent.b.length === 1 || undefined, 5000, 'bob\'s answer');
    const fromBob = await b.seal(new TextEncoder().encode('from bob'));
    // Bob's answer and his sealed frame reach Alice back to back, as over one path.
    const [, opened] = await Promise.all([a.open(sent.b[0]), a.open(fromBob)]);
    expect(problems).toEqual([]);
    expect(new TextDecoder().decode(opened)).toBe('from bob');
    expect(new TextDecoder().decode(await b.open(await first))).toBe('to bob');
  });

  it('pins a plain-name peer\'s key only from a hello that key signed', async () => {
    const alice = (await generateIdentity()).identity;
    const mallory = (await generateIdentity()).identity;
    const pins = createMemoryPinStore();
    const problems: string[] = [];
    const verified: string[] = [];
    const seal = createRelaySeal({
      localId: 'bob', remoteId: 'alice', auth: createLinkAuthenticator({ pins }), keys: createSealKeys(), clock: clockOf(loopback()),
      sendHello: async () => undefined,
      onVerified: (v) => void verified.push(v.identity.key),
      onProblem: (code) => void problems.push(code),
    });
    const ecdh = (await createSealKeys().get()).raw;
    const hello = async (key: typeof alice, signer: typeof alice): Promise<SealHello> => ({
      v: 1, type: 'seal-hello', from: 'alice', to: 'bob',
      payload: { identity: key.publicIdentity, ecdh, reply: false, signature: await signText(signer, sealHelloText('alice', 'bob', ecdh)) },
    });
    // Mallory presents her key in alice's name but cannot sign for it: refused, and nothing pinned.
    expect(await seal.open(await hello(mallory, alice))).toBeUndefined();
    expect(problems).toEqual(['seal-refused']);
    expect(await pins.get('alice')).toBeUndefined();
    // Alice's own signed hello is accepted and pins her key.
    expect(await seal.open(await hello(alice, alice))).toBeUndefined();
    expect(verified).toEqual([alice.publicIdentity.key]);
    expect(await pins.get('alice')).toEqual(alice.publicIdentity);
  });
});
