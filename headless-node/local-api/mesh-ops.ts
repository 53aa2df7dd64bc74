import type { AgentView, PeerSummary } from '../../server/protocol.ts';
import { MeshError } from '../../web/mesh/errors.ts';
import type { Mesh } from '../../web/mesh/mesh.ts';
import { ApiError } from '../../web/hub/session/http.ts';
import type { ControlPlaneClient } from '../session/control-plane-client.ts';
import { LocalApiError } from './errors.ts';
import type { DynamicAgentHost } from './local-agents.ts';
import type { LocalRequest } from './protocol.ts';

/** What the local API serves from: the running node's mesh, registry client and host. */
export interface LocalApiContext {
  mesh: Mesh;
  peerId: string;
  meshName: string;
  controlPlane: ControlPlaneClient;
  host: DynamicAgentHost;
}

/** One row of `peers`: the shape `tabmesh peers --json` prints. */
export interface PeerRow {
  peerId: string;
  role: string | undefined;
  joinedAt: number | undefined;
  agents: Array<{ id: string; name: string; health: AgentView['health']; skills: string[] }>;
}

type Op<K extends LocalRequest['op']> = Extract<LocalRequest, { op: K }>;

/** How long a listing waits for the server before answering from the node's own view. */
const SERVER_WAIT_MS = 3000;

/**
 * The requests that talk to the mesh. The registry's view of agents is cached so `peers` and
 * `agents` still answer (from the node's own view, `source: "node"`) while the server is down.
 */
export function createMeshOps(ctx: LocalApiContext) {
  let lastAgents: AgentView[] = [];
  const fromServer = async <T>(get: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(0, 'timeout', `no answer in ${SERVER_WAIT_MS} ms`)), SERVER_WAIT_MS);
    });
    try {
      return await Promise.race([get(), late]);
    } finally {
      clearTimeout(timer);
    }
  };
  const agents = async (): Promise<{ agents: AgentView[]; source: 'server' | 'node' }> => {
    try {
      lastAgents = await fromServer(() => ctx.controlPlane.agents());
      return { agents: lastAgents, source: 'server' };
    } catch {
      return { agents: lastAgents, source: 'node' };
    }
  };

  return {
    async call(r: Op<'call'>, signal: AbortSignal, onChunk: (data: unknown) => void) {
      const target = r.peer ?? (await route(ctx, r.skill));
      const opts = { signal, ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}), ...(r.stream ? { stream: true, onChunk } : {}) };
      if (target === ctx.peerId) return callSelf(ctx, r.skill, r.input, opts);
      const res = await ctx.mesh.call(target, r.skill, r.input, opts);
      return { output: res.output, peerId: res.peerId, tier: res.tier, ms: res.ms };
    },
    ping: (r: Op<'ping'>) => ctx.mesh.ping(r.peer, r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    connect: (r: Op<'connect'>) => ctx.mesh.connect(r.peer, r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    info: () => ({ peerId: ctx.peerId, mesh: ctx.meshName, agents: ctx.host.agents() }),
    links: () => ({ links: ctx.mesh.links() }),
    agents,
    async peers(): Promise<{ peers: PeerRow[]; source: 'server' | 'node' }> {
      const listed = await agents();
      let peers: Array<Pick<PeerSummary, 'peerId'> & { role: string | undefined; joinedAt: number | undefined }>;
      let source = listed.source;
      try {
        peers = await fromServer(() => ctx.controlPlane.peers());
      } catch {
        source = 'node';
        const self = { peerId: ctx.peerId, role: 'agent', joinedAt: undefined };
        peers = [self, ...ctx.mesh.peers().filter((p) => p.present).map((p) => ({ peerId: p.peerId, role: p.role, joinedAt: undefined }))];
      }
      const rows = peers.map((p) => ({
        peerId: p.peerId, role: p.role, joinedAt: p.joinedAt,
        agents: listed.agents.filter((a) => a.peerId === p.peerId).map((a) => ({ id: a.id, name: a.name, health: a.health, skills: a.skills.map((s) => s.name) })),
      }));
      return { peers: rows, source };
    },
  };
}

/** Routing by skill name, as `tabmesh call` without --to does: the server picks an active agent. */
async function route(ctx: LocalApiContext, skill: string): Promise<string> {
  const local = ctx.host.agents().some((a) => a.skills.some((s) => s.name === skill));
  let agent: AgentView | undefined;
  try {
    agent = await ctx.controlPlane.route(skill);
  } catch (err) {
    if (local) return ctx.peerId;
    if (err instanceof ApiError && err.status === 0) throw new LocalApiError('server-unreachable', `routing skill "${skill}" needs the server, which did not answer (${err.message}); name a peer to call over an open link`);
    throw err;
  }
  if (agent) return agent.peerId;
  if (local) return ctx.peerId;
  throw new LocalApiError('no-agent', `no active agent offers skill "${skill}"`);
}

/** A skill of this very node (a worker skill, or another local process's): no DataChannel needed. */
async function callSelf(ctx: LocalApiContext, skill: string, input: unknown, opts: { signal: AbortSignal; timeoutMs?: number; onChunk?: (d: unknown) => void }) {
  const t0 = performance.now();
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? 60_000)]);
  const output = await ctx.host.run(skill, input, { signal, ...(opts.onChunk ? { onChunk: opts.onChunk } : {}) });
  return { output, peerId: ctx.peerId, tier: 'local', ms: performance.now() - t0 };
}

/** Any failure as the `{code, message}` an error reply carries. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof LocalApiError || err instanceof MeshError) return { code: err.code, message: err.message };
  if (err instanceof ApiError) return err.status === 0 ? { code: 'server-unreachable', message: err.message } : { code: err.code, message: err.message };
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'internal', message: err instanceof Error ? err.message : String(err) };
}
