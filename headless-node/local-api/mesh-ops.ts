import type { AgentView } from '../../protocol/index.ts';
import { MeshError } from '../../web/mesh/index.ts';
import type { Mesh } from '../../web/mesh/index.ts';
import { ApiError } from '../../protocol/api-client.ts';
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

/** How long a listing waits for the server (or a peer's skill list) before doing without it. */
const WAIT_MS = 3000;

/** An agent as listed: the registry's full view, or what a peer told us over its link. */
export type ListedAgent = Pick<AgentView, 'id' | 'peerId' | 'name' | 'skills' | 'platform' | 'health'> & Partial<AgentView>;

/**
 * The requests that talk to the mesh. `peers` and `agents` ask the server; while it is down they
 * answer from the node's own view (`source: "node"`): the peers it has links to, each asked for
 * its skills over the DataChannel.
 */
export function createMeshOps(ctx: LocalApiContext) {
  const fromServer = <T>(get: () => Promise<T>): Promise<T> => within(get(), () => new ApiError(0, 'timeout', `no answer in ${WAIT_MS} ms`));
  const nodeView = async (): Promise<{ peers: Array<{ peerId: string; role: string | undefined }>; agents: ListedAgent[] }> => {
    const linked = ctx.mesh.peers().filter((p) => p.present || p.link.state === 'open');
    const asked = await Promise.all(linked.map(async (p) => ({
      peerId: p.peerId,
      agents: await ctx.mesh.skills(p.peerId, { timeoutMs: WAIT_MS }).catch(() => []),
    })));
    const mine = { peerId: ctx.peerId, agents: ctx.host.agents() };
    const agents = [mine, ...asked].flatMap(({ peerId, agents }) => agents.map((a) => ({ id: `${peerId}:${a.name}`, peerId, name: a.name, skills: a.skills, platform: a.platform, health: 'active' as const })));
    // Our own role is in our token, which this view does without.
    return { peers: [{ peerId: ctx.peerId, role: undefined }, ...linked.map((p) => ({ peerId: p.peerId, role: p.role }))], agents };
  };
  const agents = async (): Promise<{ agents: ListedAgent[]; source: 'server' | 'node' }> => {
    try {
      return { agents: await fromServer(() => ctx.controlPlane.agents()), source: 'server' };
    } catch {
      return { agents: (await nodeView()).agents, source: 'node' };
    }
  };

  return {
    async call(r: Op<'call'>, signal: AbortSignal, onChunk: (data: unknown) => void) {
      const target = r.peer ?? (await route(ctx, r.skill, async () => (await nodeView()).agents));
      const opts = { signal, ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}), ...(r.stream ? { stream: true, onChunk } : {}) };
      if (target === ctx.peerId) return callSelf(ctx, r.skill, r.input, opts);
      const res = await ctx.mesh.call(target, r.skill, r.input, opts);
      return { output: res.output, peerId: res.peerId, tier: res.tier, ...(res.hops ? { hops: res.hops } : {}), ms: res.ms };
    },
    ping: (r: Op<'ping'>) => ctx.mesh.ping(r.peer, r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    connect: (r: Op<'connect'>) => ctx.mesh.connect(r.peer, r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    info: () => ({ peerId: ctx.peerId, mesh: ctx.meshName, agents: ctx.host.agents() }),
    links: () => ({ links: ctx.mesh.links() }),
    agents,
    async peers(): Promise<{ peers: PeerRow[]; source: 'server' | 'node' }> {
      let listed: { peers: Array<{ peerId: string; role: string | undefined; joinedAt?: number }>; agents: ListedAgent[] };
      let source: 'server' | 'node' = 'server';
      try {
        listed = await fromServer(async () => {
          const [peers, agents] = await Promise.all([ctx.controlPlane.peers(), ctx.controlPlane.agents()]);
          return { peers, agents };
        });
      } catch {
        source = 'node';
        listed = await nodeView();
      }
      const rows = listed.peers.map((p) => ({
        peerId: p.peerId, role: p.role, joinedAt: p.joinedAt,
        agents: listed.agents.filter((a) => a.peerId === p.peerId).map((a) => ({ id: a.id, name: a.name, health: a.health, skills: a.skills.map((s) => s.name) })),
      }));
      return { peers: rows, source };
    },
  };
}

/** `work`, or the error `late()` makes once WAIT_MS passed. */
async function within<T>(work: Promise<T>, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), WAIT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Routing by skill name, as `tabmesh call` without --to does: the server picks an active agent.
 * While the server does not answer, a peer this node has a link to and that offers the skill
 * (asked over the DataChannel) serves instead: calls keep working on the mesh that is up.
 */
async function route(ctx: LocalApiContext, skill: string, linkedAgents: () => Promise<ListedAgent[]>): Promise<string> {
  const local = ctx.host.agents().some((a) => a.skills.some((s) => s.name === skill));
  let agent: AgentView | undefined;
  try {
    agent = await ctx.controlPlane.route(skill);
  } catch (err) {
    if (local) return ctx.peerId;
    const linked = err instanceof ApiError && err.status === 0 ? (await linkedAgents()).find((a) => a.peerId !== ctx.peerId && a.skills.some((s) => s.name === skill)) : undefined;
    if (linked) return linked.peerId;
    if (err instanceof ApiError && err.status === 0) throw new LocalApiError('server-unreachable', `routing skill "${skill}" needs the server, which did not answer (${err.message}), as no linked peer offers it; name a peer to call over an open link`);
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
