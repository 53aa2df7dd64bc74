import { afterAll, describe, expect, it } from 'vitest';
import { idFor } from '../helpers/test-identity.ts';
import { startPeer, stopPeers, useMeshServer, type TestPeer } from './harness.ts';

/**
 * Beyond 32 peers `welcome` names only a bounded set of neighbours (docs/protocol.md): a peer must
 * still reach any other peer of the mesh by its id (found by the registry, a CLI user, a link).
 */
describe('a mesh larger than one welcome', () => {
  const ctx = useMeshServer();
  afterAll(stopPeers);

  it('calls a peer its welcome never named, and refuses an id that is in no mesh with unknown-peer', async () => {
    const peers: TestPeer[] = [];
    // No links of their own: only signaling, so 36 peers stay cheap; links open on demand.
    for (let i = 0; i < 36; i++) peers.push(await startPeer(ctx.server, `bw-${i}`, { autoConnect: false }));
    const caller = peers.at(-1)!;
    const known = new Set(caller.mesh.peers().map((p) => p.peerId));
    const stranger = peers.find((p) => p !== caller && !known.has(p.id));
    // The precondition of the test itself: the caller does not know every peer.
    expect(stranger, `caller knows ${known.size} of ${peers.length - 1}`).toBeDefined();

    const r = await caller.mesh.call(stranger!.id, 'echo', 'found you', { timeoutMs: 20_000 });
    expect(r).toMatchObject({ output: 'found you', peerId: stranger!.id });
    expect(stranger!.host.runs).toContain('echo');

    const nobody = idFor('bw-nobody');
    await expect(caller.mesh.call(nobody, 'echo', 1, { timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'unknown-peer', peerId: nobody });
    // The route made on demand is gone again: nothing left for a peer that is not there.
    expect(caller.mesh.peers().some((p) => p.peerId === nobody)).toBe(false);
    await expect(caller.mesh.call('not-a-key-id', 'echo', 1)).rejects.toMatchObject({ code: 'unknown-peer' });
  }, 90_000);
});
