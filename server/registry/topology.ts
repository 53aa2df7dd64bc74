import type { Link, PeerSummary, TopologyEdge, TopologyNode } from '../../protocol/index.ts';
import type { Store } from '../store/store.ts';
import type { Registry } from './registry.ts';

export interface Topology {
  /** Stores one peer's view of its links; each report ages out after `ttlMs`. */
  report(mesh: string, reporter: string, links: Link[]): Promise<void>;
  /** Connected peers and agents as nodes, and the links peers measured as edges. */
  view(mesh: string, connected: PeerSummary[]): Promise<{ nodes: TopologyNode[]; edges: TopologyEdge[] }>;
}

// One entry per reporting peer (its whole list), not one per link: a report costs the store one
// write however many links it names. (`links:` held one entry per link before; those age out.)
const ns = (mesh: string) => `link-reports:${mesh}`;

interface StoredReport { reporter: string; reportedAt: number; links: Link[] }

/** Topology from link reports, never an assumed full mesh; `ttlMs` default 60 s. */
export function createTopology(opts: { store: Store; registry: Registry; now: () => number; ttlMs?: number }): Topology {
  const { store, registry, now } = opts;
  const ttlMs = opts.ttlMs ?? 60_000;
  return {
    async report(mesh, reporter, links) {
      await store.put<StoredReport>(ns(mesh), reporter, { reporter, reportedAt: now(), links }, ttlMs);
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
      for (const r of await store.list<StoredReport>(ns(mesh))) {
        for (const l of r.links) {
          const [a, b] = r.reporter < l.peer ? [r.reporter, l.peer] : [l.peer, r.reporter];
          const key = `${a}|${b}`;
          const seen = edges.get(key);
          if (seen && seen.reportedAt >= r.reportedAt) continue;
          edges.set(key, {
            a, b, state: l.state, tier: l.tier, reportedBy: r.reporter, reportedAt: r.reportedAt,
            ...(l.rttMs !== undefined ? { rttMs: l.rttMs } : {}),
            ...(l.bytesSent !== undefined ? { bytesSent: l.bytesSent } : {}),
            ...(l.bytesReceived !== undefined ? { bytesReceived: l.bytesReceived } : {}),
          });
        }
      }
      return { nodes: [...nodes.values()], edges: [...edges.values()] };
    },
  };
}
