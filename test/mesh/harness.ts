import { afterAll, beforeAll } from 'vitest';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { SkillError, type AgentHost } from '../../web/mesh/agent-host.ts';
import { createMesh, type Mesh, type MeshEvents, type MeshOptions } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { identityFor, idFor, nameOf } from '../helpers/test-identity.ts';

export const AGENT_KEY = 'agent-key-for-mesh-tests-0001';
const JWT_SECRET = 'mesh-tests-jwt-secret-0123456789abcdef';

/** A real server process with a known key and JWT secret, so a restart on the same port keeps tokens valid. */
export function startMeshServer(env: Record<string, string> = {}, dataDir?: string): Promise<ServerProcess> {
  return startServer({
    env: { TABMESH_API_KEYS: `agent:${AGENT_KEY}`, TABMESH_JWT_SECRET: JWT_SECRET, TABMESH_RATE_LIMIT_PER_SEC: '400', ...env },
    ...(dataDir ? { dataDir } : {}),
  });
}

/**
 * Starts a mesh server before the file's tests and stops it (and every peer) after. The returned
 * object's `server` may be replaced (a restart on the same port) and is still stopped at the end.
 */
export function useMeshServer(env: Record<string, string> = {}): { server: ServerProcess } {
  const ctx = {} as { server: ServerProcess };
  beforeAll(async () => {
    ctx.server = await startMeshServer(env);
  });
  afterAll(async () => {
    await stopPeers();
    await ctx.server?.stop();
  });
  return ctx;
}

/**
 * The trivial in-test AgentHost: echo, size (length of a string input), stream (n chunks),
 * hang (until aborted), fail (SkillError) and chat (streams the words back).
 */
export function echoHost(name = 'echo-agent'): AgentHost & { runs: string[]; aborted: string[] } {
  const runs: string[] = [];
  /** `skill:code` of every run aborted here (a caller's cancel arrives as `cancelled`, the responder's own timer as `timeout`). */
  const aborted: string[] = [];
  return {
    runs,
    aborted,
    agents: () => [{
      name,
      platform: 'node',
      skills: ['echo', 'size', 'stream', 'hang', 'fail', 'chat'].map((s) => ({ name: s, description: `test ${s}` })),
    }],
    async run(skill, input, ctx) {
      runs.push(skill);
      switch (skill) {
        case 'echo':
          return input;
        case 'size':
          return typeof input === 'string' ? input.length : -1;
        case 'stream': {
          const n = (input as { n: number }).n;
          for (let i = 0; i < n; i++) ctx.onChunk?.({ i });
          return { chunks: n };
        }
        case 'hang':
          return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => (aborted.push(`${skill}:${(ctx.signal.reason as { code?: string } | undefined)?.code}`), reject(ctx.signal.reason)), { once: true }));
        case 'fail':
          throw new SkillError('nope', 'this skill always fails');
        case 'chat': {
          const words = String((input as { text: string }).text).split(' ');
          if (!ctx.onChunk) return words.join(' ');
          words.forEach((w, i) => ctx.onChunk!(i === 0 ? w : ` ${w}`));
          return undefined;
        }
        default:
          throw new SkillError('unknown-skill', `no skill "${skill}"`);
      }
    },
    close: async () => undefined,
  };
}

export interface TestPeer {
  id: string;
  mesh: Mesh;
  host: ReturnType<typeof echoHost>;
}

const peers = new Set<Mesh>();

/**
 * Starts a mesh peer on loopback-only node-datachannel, joined to `server`, as the identity derived
 * from `name` (test/helpers/test-identity.ts): its id is `idFor(name)`, its agent `<name>-agent`.
 * With `opts.identity`, that key (and its id) instead.
 */
export async function startPeer(server: { url: string }, name: string, opts: Partial<MeshOptions> = {}): Promise<TestPeer> {
  const host = echoHost(`${nameOf(idFor(name))}-agent`);
  const platform = createNodePlatform({ bindAddress: '127.0.0.1' });
  const identity = opts.identity ? await opts.identity : await identityFor(name);
  const id = identity.peerId;
  const mesh = createMesh({
    url: server.url,
    platform,
    identity,
    getToken: apiKeyTokenSource({ url: server.url, key: AGENT_KEY, fetch, identity }),
    host,
    reconnect: { baseMs: 100, maxMs: 1000 },
    ...opts,
  });
  peers.add(mesh);
  await mesh.start();
  return { id, mesh, host };
}

/** Stops every peer started by this file. */
export async function stopPeers(): Promise<void> {
  await Promise.all([...peers].map((m) => m.stop()));
  peers.clear();
}

/** Resolves with the first `event` payload for which `pred` holds (checked against `current` first). */
export function waitFor<K extends keyof MeshEvents>(
  mesh: Mesh, event: K, pred: (v: MeshEvents[K]) => boolean, timeoutMs = 10_000, current?: () => boolean,
): Promise<MeshEvents[K] | undefined> {
  if (current?.()) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no matching "${String(event)}" event within ${timeoutMs} ms`))), timeoutMs);
    const off = mesh.on(event, (v) => {
      if (pred(v)) (clearTimeout(timer), off(), resolve(v));
    });
  });
}

/** Waits until `mesh` has an open link to every peer in `names` (ids or names, see `idFor`) (on any tier unless `tier` is given). */
export function linksOpen(mesh: Mesh, names: string[], tier?: string, timeoutMs = 15_000): Promise<unknown> {
  const others = names.map(idFor);
  const ok = () => others.every((id) => mesh.links().some((l) => l.peerId === id && l.state === 'open' && (!tier || l.tier === tier)));
  return waitFor(mesh, 'link', () => ok(), timeoutMs, ok);
}

/** Waits until `mesh` sees every peer in `names` (ids or names) present on the signaling server. */
export function seesPeers(mesh: Mesh, names: string[], timeoutMs = 10_000): Promise<unknown> {
  const ids = names.map(idFor);
  const ok = () => ids.every((id) => mesh.peers().some((p) => p.peerId === id && p.present));
  return waitFor(mesh, 'peer-joined', () => ok(), timeoutMs, ok);
}
