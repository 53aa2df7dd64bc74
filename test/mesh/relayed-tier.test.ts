import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';
import type { ServerProcess } from '../helpers/server-process.ts';
import { linksOpen, startMeshServer, startPeer, stopPeers } from './harness.ts';
import { idFor } from '../helpers/test-identity.ts';

describe('relayed tier through a real coturn', () => {
  const secret = randomBytes(24).toString('base64url');
  let coturn: Coturn;
  let server: ServerProcess;

  beforeAll(async () => {
    coturn = await startCoturn({ secret });
    server = await startMeshServer({ TURN_URLS: coturn.turnUrl, TURN_SECRET: secret });
  });
  afterAll(async () => {
    await stopPeers();
    await Promise.allSettled([server?.stop(), coturn?.stop()]);
  });

  it('detects a TURN-relayed DataChannel from getStats and reports it in calls and links', async () => {
    // TURN credentials come from the welcome frame; relay-only ICE forces the relayed path.
    const relayOnly = { platform: createNodePlatform({ bindAddress: '127.0.0.1', iceTransportPolicy: 'relay' }), connectTimeoutMs: 15_000 };
    const a = await startPeer(server, 'turn-a', relayOnly);
    const b = await startPeer(server, 'turn-b', relayOnly);
    await linksOpen(a.mesh, [idFor('turn-b')], 'relayed', 20_000);
    await linksOpen(b.mesh, [idFor('turn-a')], 'relayed', 20_000);
    const r = await a.mesh.call(idFor('turn-b'), 'echo', 'through coturn');
    expect(r).toMatchObject({ output: 'through coturn', tier: 'relayed' });
    const { rttMs } = await b.mesh.ping(idFor('turn-a'));
    console.log(`relayed tier: open ${a.mesh.links()[0]!.openMs} ms, ping ${rttMs.toFixed(2)} ms`);
  });
});
