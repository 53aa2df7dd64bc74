import { afterAll, beforeAll, expect } from 'vitest';
import { createNodePlatform } from '../../../headless-node/node-platform.ts';
import { generateIdentity, type Identity } from '../../../protocol/index.ts';
import type { MeshOptions } from '../../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../../web/mesh/signaling/token-source.ts';
import type { ServerProcess } from '../../helpers/server-process.ts';
import { AGENT_KEY, startMeshServer, startPeer, stopPeers, type TestPeer } from '../../mesh/harness.ts';
import { startMaliciousRelay, type MaliciousRelay } from './malicious-relay.ts';

export const ADMIN_KEY = 'admin-key-for-identity-tests-0001';
/** Server env: the mesh tests' agent key plus an admin key for /metrics. */
export const IDENTITY_ENV = { TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}` };
export const loopback = () => createNodePlatform({ bindAddress: '127.0.0.1' });

/** A real server behind a malicious relay for this test file (started in beforeAll, stopped with every peer after). */
export function useCompromisedServer(): { readonly server: ServerProcess; readonly relay: MaliciousRelay } {
  const ctx = {} as { server: ServerProcess; relay: MaliciousRelay };
  beforeAll(async () => {
    ctx.server = await startMeshServer(IDENTITY_ENV);
    ctx.relay = await startMaliciousRelay(ctx.server.url);
  });
  afterAll(async () => {
    await stopPeers();
    await ctx.relay?.close();
    await ctx.server?.stop();
  });
  return ctx;
}

/** A mesh peer with a key-derived id (`k…`) whose token proves the key, joined through `url`. */
export async function startKeyedPeer(url: string, opts: Partial<MeshOptions> = {}, key?: Identity): Promise<TestPeer> {
  const identity = key ?? (await generateIdentity()).identity;
  return startPeer({ url }, identity.peerId, {
    identity,
    getToken: apiKeyTokenSource({ url, key: AGENT_KEY, fetch, identity }),
    autoConnect: false,
    ...opts,
  });
}

/** `tabmesh_peer_reported_identity_failures_total{reason}` (what peers reported in `link-report`) from the real server's /metrics (0 when absent). */
export async function identityFailures(serverUrl: string, reason: string): Promise<number> {
  const res = await fetch(`${serverUrl}/metrics`, { headers: { 'x-api-key': ADMIN_KEY } });
  expect(res.status).toBe(200);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`tabmesh_peer_reported_identity_failures_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
