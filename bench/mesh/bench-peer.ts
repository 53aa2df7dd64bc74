import { createNodePlatform } from '../../headless-node/node-platform.ts';
import type { AgentHost } from '../../web/mesh/agent-host.ts';
import { createMesh, type Mesh, type MeshOptions } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { identityFor, idFor } from '../../test/helpers/test-identity.ts';

/** The mesh benchmark's peers: real meshes on loopback node-datachannel, joined to the bench server. */

export const MESH_BENCH_KEY = 'bench-mesh-agent-key-0123456789';

/** In-process skills: `echo` returns its input, `size` the length of a string or byte input (bulk sink). */
export const benchHost: AgentHost = {
  agents: () => [{ name: 'bench', platform: 'node', skills: [{ name: 'echo' }, { name: 'size' }] }],
  async run(skill, input) {
    if (skill === 'echo') return input;
    if (skill === 'size') return typeof input === 'string' || input instanceof Uint8Array ? input.length : -1;
    throw Object.assign(new Error(`no skill "${skill}"`), { code: 'unknown-skill' });
  },
  close: async () => undefined,
};

/** Starts a mesh peer on 127.0.0.1 as the key identity derived from `name` (its id: `idFor(name)`) and waits for its first welcome. */
export async function startBenchMesh(url: string, name: string, opts: Partial<MeshOptions> = {}, key = MESH_BENCH_KEY): Promise<Mesh> {
  const identity = await identityFor(name);
  const mesh = createMesh({
    url,
    platform: createNodePlatform({ bindAddress: '127.0.0.1' }),
    identity,
    getToken: apiKeyTokenSource({ url, key, fetch, identity }),
    host: benchHost,
    // Link reports are not what is measured here; keep them out of the way.
    linkReportMs: 600_000,
    ...opts,
  });
  await mesh.start();
  return mesh;
}

/** Resolves when `mesh` has an open DataChannel to every peer in `names` (ids or names, see `idFor`); rejects after `timeoutMs`. */
export function allLinksOpen(mesh: Mesh, names: string[], timeoutMs: number): Promise<void> {
  const others = names.map(idFor);
  const done = () => others.every((id) => mesh.links().some((l) => l.peerId === id && l.state === 'open' && l.tier !== 'fallback' && l.tier !== 'routed'));
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      const missing = others.filter((id) => !mesh.links().some((l) => l.peerId === id && l.state === 'open' && l.tier !== 'fallback' && l.tier !== 'routed'));
      reject(new Error(`${mesh.peerId}: no DataChannel to ${missing.join(', ')} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = mesh.on('link', () => {
      if (done()) (clearTimeout(timer), off(), resolve());
    });
  });
}

/** Resolves once `mesh` sees the peer `name` (an id or a name) on the signaling server (needed before a fallback-tier call). */
export function seesPeer(mesh: Mesh, name: string, timeoutMs = 10_000): Promise<void> {
  const peerId = idFor(name);
  if (mesh.peers().some((p) => p.peerId === peerId && p.present)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`${mesh.peerId} never saw ${peerId} join`))), timeoutMs);
    const off = mesh.on('peer-joined', (p) => {
      if (p.peerId === peerId) (clearTimeout(timer), off(), resolve());
    });
  });
}
