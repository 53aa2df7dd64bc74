import { describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { createLazyRelaySeal } from '../../web/mesh/routing/lazy-relay-seal.ts';
import { createLinkAuthenticator } from '../../web/mesh/link/link-identity.ts';
import { clockOf } from '../../web/mesh/platform.ts';
import type { RelaySeal } from '../../web/mesh/routing/relay-seal.ts';
import { createSealKeys } from '../../web/mesh/routing/seal-keys.ts';

/** Two lazily loaded seals whose hellos go straight to each other (no server). */
function pair() {
  const clock = clockOf(createNodePlatform({ bindAddress: '127.0.0.1' }));
  const problems: string[] = [];
  const ends: Record<'alice' | 'bob', RelaySeal> = {} as Record<'alice' | 'bob', RelaySeal>;
  const make = (localId: 'alice' | 'bob', remoteId: 'alice' | 'bob') =>
    createLazyRelaySeal({
      localId, remoteId, auth: createLinkAuthenticator(), keys: createSealKeys(), clock,
      sendHello: async (hello) => void (await ends[remoteId].open(hello)),
      onProblem: (code, message) => void problems.push(`${code}: ${message}`),
    });
  ends.alice = make('alice', 'bob');
  ends.bob = make('bob', 'alice');
  return { ...ends, problems };
}

const bytes = (i: number) => new TextEncoder().encode(`frame ${i}`);

describe('the sealed relay loaded on first use', () => {
  it('seals frames sent while its module loads, each once and in order, and opens them on the other end', async () => {
    const { alice, bob, problems } = pair();
    expect(alice.verified).toBe(false);
    // Nothing loaded yet: the reset of a seal that never ran is a no-op, not an error.
    bob.reset();
    // All sent at once, before the first one could have loaded the module or exchanged keys.
    const sealed = await Promise.all(Array.from({ length: 8 }, (_, i) => alice.seal(bytes(i))));
    expect(sealed.map((s) => s.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const opened: string[] = [];
    for (const s of sealed) opened.push(new TextDecoder().decode(await bob.open(s)));
    expect(opened).toEqual(Array.from({ length: 8 }, (_, i) => `frame ${i}`));
    expect(alice.verified).toBe(true);
    expect(bob.verified).toBe(true);
    expect(problems).toEqual([]);
    // A replayed frame is still refused once the module runs.
    expect(await bob.open(sealed[0])).toBeUndefined();
    expect(problems).toHaveLength(1);
  });
});
