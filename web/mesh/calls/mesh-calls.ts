import type { Tier } from '../../../protocol/index.ts';
import { MeshError } from '../errors.ts';
import { makeMessage } from './message-factory.ts';
import type { Mesh } from '../mesh-types.ts';
import type { PeerRoute } from '../routing/peer-route.ts';
import type { PendingRequests, RequestMessage, RequestOptions } from './pending-requests.ts';
import type { Clock } from '../platform.ts';

export type MeshCalls = Pick<Mesh, 'call' | 'ping' | 'chat' | 'skills'>;

export interface MeshCallsDeps {
  clock: Clock;
  pending: PendingRequests;
  routes: ReadonlyMap<string, PeerRoute>;
  /** This peer's id once the server welcomed it. */
  localId(): string | undefined;
  /** The route to the peer, made on demand for a key-derived id; undefined when it cannot be a peer. */
  reach(peerId: string): unknown;
}

/** The request/response half of the Mesh API (call, ping, chat, skills) over pending requests. */
export function createMeshCalls({ clock, pending, routes, localId, reach }: MeshCallsDeps): MeshCalls {
  function request(peerId: string, msg: RequestMessage, o: RequestOptions) {
    if (!localId()) return Promise.reject(new MeshError('not-started', 'call start() first'));
    if (!reach(peerId)) return Promise.reject(new MeshError('unknown-peer', `peer "${peerId}" is not in the mesh`, { peerId }));
    return pending.start(msg, o);
  }
  const me = () => localId() ?? '';
  const tierOf = (peerId: string, t: Tier | undefined): Tier => t ?? routes.get(peerId)?.info.tier ?? 'fallback';
  const viaAgent = (out: { agentChannel: string | undefined }) => (out.agentChannel === undefined ? {} : { agentChannel: out.agentChannel });
  const hopsOf = (out: { tier: Tier | undefined; hops: number | undefined }) => (out.tier === 'routed' && out.hops !== undefined ? { hops: out.hops } : {});

  return {
    async call(peerId, skill, input, o = {}) {
      const t0 = clock.elapsed();
      const timeoutMs = o.timeoutMs ?? 60_000;
      const msg = makeMessage(me(), peerId, 'task-request', { skill, input: input ?? null, timeoutMs, ...(o.stream ? { stream: true } : {}) });
      const out = await request(peerId, msg, { timeoutMs, ...(o.onChunk ? { onChunk: o.onChunk } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      const output = out.reply.type === 'task-result' ? out.reply.payload.output : undefined;
      return { output, peerId, tier: tierOf(peerId, out.tier), ...hopsOf(out), ms: clock.elapsed() - t0, ...viaAgent(out) };
    },
    async ping(peerId, o = {}) {
      const t0 = clock.elapsed();
      const out = await request(peerId, makeMessage(me(), peerId, 'ping', { sentAt: clock.now() }), { timeoutMs: o.timeoutMs ?? 5000 });
      const rttMs = clock.elapsed() - t0;
      const route = routes.get(peerId);
      if (route) route.rttMs = rttMs;
      return { rttMs, peerId, tier: tierOf(peerId, out.tier), ...hopsOf(out) };
    },
    async chat(peerId, text, o = {}) {
      const t0 = clock.elapsed();
      const msg = makeMessage(me(), peerId, 'chat', { text, ...(o.agent ? { agent: o.agent } : {}) });
      const onChunk = o.onChunk ? (d: unknown) => o.onChunk!(String(d)) : undefined;
      const out = await request(peerId, msg, { timeoutMs: o.timeoutMs ?? 120_000, ...(onChunk ? { onChunk } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      return { text: out.text, peerId, tier: tierOf(peerId, out.tier), ...hopsOf(out), ms: clock.elapsed() - t0, ...viaAgent(out) };
    },
    async skills(peerId, o = {}) {
      const out = await request(peerId, makeMessage(me(), peerId, 'skill-query', {}), { timeoutMs: o.timeoutMs ?? 10_000 });
      return out.reply.type === 'skill-list' ? out.reply.payload.agents : [];
    },
  };
}
