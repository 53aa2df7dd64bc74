import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerFrameSchema, validate } from '../../protocol/index.ts';
import { wireActions } from './support/frame-fuzz.ts';
import { createRelayHarness, type FakePeer } from './support/relay-harness.ts';
import { idFor } from '../helpers/test-identity.ts';

const encoder = new TextEncoder();

describe('signaling relay frame handler under fuzzing', () => {
  it('never throws, never crashes, never delivers across meshes, only ever sends valid server frames', async () => {
    // Shared across runs: signing tokens is the slow part and they do not change.
    const keyring = createRelayHarness();
    const tokens = [
      await keyring.token('a1', 'alpha'), await keyring.token('a3', 'alpha'), await keyring.token('a4', 'alpha', 'admin'),
      // Only ids already live in beta: a hello with them is a duplicate, a refresh with them a mismatch.
      await keyring.token('b1', 'beta'), await keyring.token('b2', 'beta'),
      (await keyring.tokens.issue({ sub: idFor('a5'), role: 'agent', mesh: 'alpha', cid: 'c' })).token.replace(/.$/, 'x'),
    ];
    const limits = fc.record({ rateLimitPerSec: fc.constantFrom(2, 1000), maxFrameBytes: fc.constantFrom(1024, 65_536) });
    const scenario = limits.chain((l) =>
      fc.tuple(
        fc.constant(l),
        // Senders 0 and 1 are the joined alpha peers, 2 and 3 fresh sockets; live targets are the likeliest.
        fc.array(
          fc.tuple(fc.constantFrom(0, 0, 1, 1, 2, 3), wireActions({ peerIds: [idFor('a1'), idFor('a2'), idFor('a1'), idFor('a2'), idFor('a3'), idFor('b1'), idFor('b2'), 'nobody'], tokens, maxFrameBytes: l.maxFrameBytes })),
          { minLength: 1, maxLength: 16 },
        ),
      ),
    );

    // The fuzzer must reach the interesting paths, not only bounce off the JSON parser.
    const reached = { relayed: 0, errors: 0, closed: 0, joined: 0 };
    await fc.assert(
      fc.asyncProperty(scenario, async ([l, actions]) => {
        const h = createRelayHarness({ ...l, maxPeersPerMesh: 4 });
        h.clock.now = keyring.clock.now;
        const a1 = await h.joinAs('a1', 'alpha');
        const a2 = await h.joinAs('a2', 'alpha');
        const b1 = await h.joinAs('b1', 'beta');
        const b2 = await h.joinAs('b2', 'beta');
        const senders: FakePeer[] = [a1, a2, h.connect(), h.connect()];
        const alphaSeen = new Map<FakePeer, number>(senders.map((s) => [s, s.frames.length]));
        const betaSeen = [b1.frames.length, b2.frames.length];

        for (const [who, action] of actions) {
          const s = senders[who]!;
          if (action.kind === 'binary') s.conn.binary(action.bytes);
          else s.conn.message(action.data, encoder.encode(action.data).byteLength);
        }
        await h.settle();

        // Mesh beta saw nothing at all and is intact.
        expect(b1.frames.slice(betaSeen[0])).toEqual([]);
        expect(b2.frames.slice(betaSeen[1])).toEqual([]);
        expect([b1.closed, b2.closed]).toEqual([undefined, undefined]);
        expect(h.relay.peers('beta').map((p) => p.peerId).sort()).toEqual([idFor('b1'), idFor('b2')].sort());
        // Mesh alpha: unique ids, every listed peer is open, every frame sent is a valid server frame.
        const alpha = h.relay.peers('alpha').map((p) => p.peerId);
        expect(new Set(alpha).size).toBe(alpha.length);
        for (const s of senders) {
          for (const f of s.frames.slice(alphaSeen.get(s))) {
            const r = validate(ServerFrameSchema, f);
            if (!r.ok) throw new Error(`server sent an invalid frame (${r.message}): ${JSON.stringify(f).slice(0, 200)}`);
            if ('from' in f) expect([idFor('a1'), idFor('a2'), idFor('a3'), idFor('a4')]).toContain(f.from);
            if ('from' in f) reached.relayed += 1;
            if (f.type === 'error') reached.errors += 1;
            if (f.type === 'welcome') reached.joined += 1;
          }
          if (s.closed) reached.closed += 1;
        }
        // A caught internal error is still a bug.
        expect(h.logs.filter((line) => line.includes('"level":"error"'))).toEqual([]);
        h.relay.closeAll(1001, 'run over');
      }),
      { numRuns: 1000 },
    );
    // Typical counts per 1,000 runs: ~125 relayed, ~3,900 error frames, ~1,000 closes, ~16 late joins.
    expect(reached.relayed).toBeGreaterThan(50);
    expect(reached.errors).toBeGreaterThan(1000);
    expect(reached.closed).toBeGreaterThan(200);
    expect(reached.joined).toBeGreaterThan(4);
  });
});
