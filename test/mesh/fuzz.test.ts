import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MeshMessageSchema, validate, type MeshMessage } from '../../protocol/index.ts';
import { createReassembler, encodeFrames, FRAME_HEADER_BYTES } from '../../web/mesh/channel/framing.ts';
import { makeMessage } from '../../web/mesh/calls/message-factory.ts';
import { createLinkAuthenticator } from '../../web/mesh/link/link-identity.ts';
import { createRelaySeal, createSealKeys } from '../../web/mesh/routing/relay-seal.ts';
import { decodeMessage, encodeMessage } from '../../web/mesh/channel/message-codec.ts';
import { createMessageRouter } from '../../web/mesh/routing/message-router.ts';
import { createPendingRequests } from '../../web/mesh/calls/pending-requests.ts';
import { clockOf } from '../../web/mesh/platform.ts';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { getToken, type ServerProcess } from '../helpers/server-process.ts';
import { joinWith } from '../helpers/ws-client.ts';
import { AGENT_KEY, echoHost, seesPeers, startMeshServer, startPeer, stopPeers } from './harness.ts';
import { identityFor, idFor } from '../helpers/test-identity.ts';

const TYPES = ['ping', 'pong', 'skill-query', 'skill-list', 'task-request', 'task-chunk', 'task-result', 'task-error', 'chat', 'chat-chunk', 'status', 'cancel', 'error'];
const junk = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined));

/** Messages that are right, nearly right and wrong, so validation and every handler get exercised. */
const inbound = fc.oneof(
  fc.anything(),
  fc.record(
    {
      v: fc.oneof(fc.constant(1), junk),
      id: fc.oneof(fc.string({ minLength: 1, maxLength: 70 }), junk),
      type: fc.oneof(fc.constantFrom(...TYPES), junk),
      from: fc.oneof(fc.constant('remote'), fc.constant('someone-else'), junk),
      to: fc.oneof(fc.constant('local'), junk),
      replyTo: fc.oneof(fc.string({ maxLength: 70 }), junk),
      payload: fc.oneof(
        junk,
        fc.record({ sentAt: fc.oneof(fc.double(), junk) }, { requiredKeys: [] }),
        fc.record({ skill: fc.constantFrom('echo', 'fail', 'stream', 'chat', 'nope', ''), input: fc.anything(), stream: fc.oneof(fc.boolean(), junk), timeoutMs: fc.oneof(fc.nat(100), junk) }, { requiredKeys: [] }),
        fc.record({ seq: fc.oneof(fc.nat(), junk), data: fc.anything(), text: fc.oneof(fc.string(), junk), done: fc.oneof(fc.boolean(), junk) }, { requiredKeys: [] }),
        fc.record({ code: fc.oneof(fc.string(), junk), message: fc.oneof(fc.string(), junk), text: fc.oneof(fc.string(), junk), agent: junk }, { requiredKeys: [] }),
        fc.record({ agents: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), junk), state: junk, load: junk, reason: junk }, { requiredKeys: [] }),
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('fuzz: inbound mesh messages (router)', () => {
  it('never throws, answers only with valid MeshMessages, and keeps answering pings (2,000 cases)', async () => {
    const clock = clockOf(createNodePlatform());
    const sent: MeshMessage[] = [];
    // The router swallows send errors (a dead link must not crash it), so a check that threw in
    // here would never reach the test: problems are collected and asserted after the run.
    const problems: string[] = [];
    const send = async (peerId: string, msg: MeshMessage) => {
      // What the wire does: JSON round trip, then the receiver's validation.
      const check = validate(MeshMessageSchema, JSON.parse(JSON.stringify(msg)));
      if (!check.ok) problems.push(`router sent an invalid ${String(msg.type)}: ${check.message}`);
      if (peerId !== 'remote') problems.push(`router sent a ${String(msg.type)} to "${peerId}", not the sender`);
      sent.push(msg);
      return { tier: 'direct' as const, generation: 'g1', bytes: 1 };
    };
    const pending = createPendingRequests(send, clock);
    const router = createMessageRouter({ localId: () => 'local', host: echoHost(), send, pending, clock, maxTaskMs: 50 });
    await fc.assert(
      fc.asyncProperty(inbound, async (raw) => {
        expect(() => router.receive('remote', raw)).not.toThrow();
        await new Promise((r) => setImmediate(r));
      }),
      { numRuns: 2000 },
    );
    expect(problems).toEqual([]);
    // Error replies are rate-limited per peer (burst 50, then 20/s): a flood cannot make us flood.
    const errors = sent.filter((m) => m.type === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(50);
    expect(errors.length).toBeLessThan(2000);
    router.receive('remote', makeMessage('remote', 'local', 'ping', { sentAt: 1 }));
    await new Promise((r) => setImmediate(r));
    expect(sent.at(-1)).toMatchObject({ type: 'pong', to: 'remote', payload: { sentAt: 1 } });
    router.stop();
  });
});

describe('fuzz: raw chunk frames (reassembler)', () => {
  const frame = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.record({ flags: fc.nat(255), id: fc.nat(3), total: fc.oneof(fc.nat(64), fc.nat()), data: fc.uint8Array({ maxLength: 64 }) }).map(({ flags, id, total, data }) => {
      const f = new Uint8Array(FRAME_HEADER_BYTES + data.length);
      const view = new DataView(f.buffer);
      view.setUint8(0, 1);
      view.setUint8(1, flags);
      view.setUint32(2, id);
      view.setUint32(6, total);
      f.set(data, FRAME_HEADER_BYTES);
      return f;
    }),
  );

  it('never throws and never holds more than its budget (3,000 cases)', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 40 }), (frames) => {
        const r = createReassembler({ maxMessageBytes: 1000, maxBufferedBytes: 2000, maxPartials: 4 });
        for (const f of frames) {
          const out = r.push(f);
          expect(typeof out.ok).toBe('boolean');
          expect(r.bufferedBytes).toBeLessThanOrEqual(2000);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reassembles interleaved messages exactly, whatever the frame size (1,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: FRAME_HEADER_BYTES + 1, max: 700 }), fc.array(fc.boolean(), { maxLength: 20 }), (m1, m2, size, picks) => {
        const a = [...encodeFrames(1, m1, size)];
        const b = [...encodeFrames(2, m2, size)];
        const r = createReassembler({ maxFrameBytes: size });
        const got = new Map<number, Uint8Array>();
        let i = 0;
        while (a.length || b.length) {
          const fromA = b.length === 0 || (a.length > 0 && (picks[i++ % Math.max(1, picks.length)] ?? true));
          const f = (fromA ? a : b).shift()!;
          const out = r.push(f);
          expect(out.ok).toBe(true);
          if (out.ok && out.message) got.set(fromA ? 1 : 2, out.message.slice());
        }
        expect(got.get(1)).toEqual(m1);
        expect(got.get(2)).toEqual(m2);
        expect(r.bufferedBytes).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fuzz over the wire: garbage relayed to a live peer', () => {
  let server: ServerProcess;
  afterAll(async () => {
    await stopPeers();
    await server?.stop();
  });

  it('answers garbage with error messages, never crashes, and keeps serving', async () => {
    server = await startMeshServer();
    const target = await startPeer(server, 'target');
    const friend = await startPeer(server, 'friend');
    const fuzzer = await joinWith(server.wsUrl, await getToken(server.url, AGENT_KEY, 'fuzzer'));
    await seesPeers(target.mesh, [idFor('fuzzer'), idFor('friend')]);
    // The fuzzer speaks the sealed relay itself (the same code as a peer), so its garbage reaches
    // past the seal into framing, validation and every handler, as a misbehaving peer's would.
    const seal = createRelaySeal({
      localId: idFor('fuzzer'), remoteId: idFor('target'), auth: createLinkAuthenticator({ identity: identityFor('fuzzer') }), keys: createSealKeys(), clock: clockOf(createNodePlatform()),
      sendHello: async (hello) => fuzzer.send({ type: 'relay', to: idFor('target'), payload: hello }),
      onProblem: (code, message) => { throw new Error(`fuzzer: ${code}: ${message}`); },
    });
    let msgId = 0;
    const sendSealed = async (bytes: Uint8Array) => {
      for (const frame of encodeFrames(++msgId, bytes, 16 * 1024)) fuzzer.send({ type: 'relay', to: idFor('target'), payload: await seal.seal(frame) });
    };
    // Unsealed garbage (what a server could inject) first, then sealed garbage: messages and raw frames.
    for (const payload of fc.sample(fc.oneof(inbound, fc.string().map((t) => ({ frame: t }))), { numRuns: 30, seed: 41 })) {
      fuzzer.send({ type: 'relay', to: idFor('target'), payload: payload === undefined ? null : payload });
    }
    const reply = (async () => {
      const relayed: MeshMessage[] = [];
      const reassembler = createReassembler();
      for (;;) {
        const f = await fuzzer.next<{ payload: unknown }>('relay', 10_000);
        const bytes = await seal.open(f.payload);
        const r = bytes && reassembler.push(bytes);
        if (!r || !r.ok || !r.message) continue;
        const d = decodeMessage(r.message);
        if (!d.ok) throw new Error(`target sent an undecodable message: ${d.message}`);
        const m = d.value as MeshMessage;
        relayed.push(m);
        if (m.type === 'pong') return relayed;
      }
    })();
    for (const message of fc.sample(inbound, { numRuns: 300, seed: 42 })) {
      await sendSealed(new TextEncoder().encode(JSON.stringify(message) ?? 'undefined'));
    }
    for (const bytes of fc.sample(fc.uint8Array({ maxLength: 200 }), { numRuns: 100, seed: 43 })) {
      fuzzer.send({ type: 'relay', to: idFor('target'), payload: await seal.seal(bytes) });
    }
    // Binary envelopes (a request with bytes in its input), byte-flipped.
    const envelopes = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.array(fc.record({ at: fc.nat(), byte: fc.nat(255) }), { minLength: 1, maxLength: 4 })).map(([bytes, flips]) => {
      const parts = encodeMessage(makeMessage(idFor('fuzzer'), idFor('target'), 'task-request', { skill: 'echo', input: { bytes } }));
      const flat = new Uint8Array((parts as Uint8Array[]).reduce((n, p) => n + p.length, 0));
      (parts as Uint8Array[]).reduce((at, p) => (flat.set(p, at), at + p.length), 0);
      for (const f of flips) flat[f.at % flat.length] = f.byte;
      return flat;
    });
    for (const flat of fc.sample(envelopes, { numRuns: 100, seed: 44 })) await sendSealed(flat);
    await sendSealed(new TextEncoder().encode(JSON.stringify(makeMessage(idFor('fuzzer'), idFor('target'), 'ping', { sentAt: 7 }))));
    const relayed = await reply;
    expect(relayed.at(-1)).toMatchObject({ type: 'pong', from: idFor('target'), to: idFor('fuzzer'), payload: { sentAt: 7 } });
    const errors = relayed.filter((m) => m.type === 'error');
    for (const e of errors) expect(validate(MeshMessageSchema, e).ok).toBe(true);
    // Each unsealed payload was refused before any handler saw it; sealed garbage got past the
    // seal and was answered by framing and validation (error replies: burst 50, then 20/s).
    const sealRefused = errors.filter((e) => (e.payload as { code?: string }).code === 'seal-refused');
    expect(sealRefused).toHaveLength(30);
    expect(errors.length - sealRefused.length).toBeGreaterThan(10);
    expect(fuzzer.frames.some((f) => f.type === 'error')).toBe(false);
    expect((await friend.mesh.call(idFor('target'), 'echo', 'still here')).output).toBe('still here');
    fuzzer.close();
  });
});
