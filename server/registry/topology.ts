import type { Link, PeerSummary, TopologyEdge, TopologyNode } from '../../protocol/index.ts';
import type { Store } from '../store/store.ts';
import type { Registry } from './registry.ts';

export interface Topology {
  /** Stores one peer's view of its links; each report ages out after `ttlMs`. */
  report(mesh: string, reporter: string, links: Link[]): Promise<void>;
  /** Connected peers and agents as nodes, and the links peers measured as edges. */
  view(mesh: string, connected: PeerSummary[]): Promise<{ nodes: TopologyNode[]; edges: TopologyEdge[] }>;
}

const ns = (mesh: string) => `links:${mesh}`;

/** Topology from link reports, never an assumed full mesh; `ttlMs` default 60 s. */
export function createTopology(opts: { store: Store; registry: Registry; now: () => number; ttlMs?: number }): Topology {
  const { store, registry, now } = opts;
  const ttlMs = opts.ttlMs ?? 60_000;
  return {
    async report(mesh, reporter, links) {
      const t = now();
      await Promise.all(links.map((l) => {
        const [a, b] = reporter < l.peer ? [reporter, l.peer] : [l.peer, reporter];
        const edge: TopologyEdge = {
          a, b, state: l.state, tier: l.tier, reportedBy: reporter, reportedAt: t,
          ...(l.rttMs !== undefined ? { rttMs: l.rttMs } : {}),
          ...(l.bytesSent !== undefined ? { bytesSent: l.bytesSent } : {}),
          ...(l.bytesReceived !== undefined ? { bytesReceived: l.bytesReceived } : {}),
        };
        return store.put(ns(mesh), `${reporter}>${l.peer}`, edge, ttlMs);
      }));
    },
    async view(mesh, connected) {
      const agents = await registry.list(mesh);
      const nodes = new Map<string, TopologyNode>();
      for (const p of connected) nodes.set(p.peerId, { peerId: p.peerId, role: p.role, connected: true, agents: [], health: 'active' });
      for (const a of agents) {
        const n = nodes.get(a.peerId) ?? { peerId: a.peerId, role: 'agent' as const, connected: false, agents: [], health: a.health };
        n.agents.push(a.name);
        n.platform ??= a.platform;
        if (!n.connected) n.health = a.health;
        nodes.set(a.peerId, n);
      }
      // Both ends report the same link; keep the freshest report per pair.
      const edges = new Map<string, TopologyEdge>();
      for (const e of await store.list<TopologyEdge>(ns(mesh))) {
        const key = `${e.a}|${e.b}`;
        const seen = edges.get(key);
        if (!seen || e.reportedAt > seen.reportedAt) edges.set(key, e);
      }
      return { nodes: [...nodes.values()], edges: [...edges.values()] };
    },
  };
}
