import type { TopologyEdge, TopologyNode } from '../../../server/protocol.ts';

const W = 640;
const H = 420;
const TIER_COLOR: Record<string, string> = { direct: 'var(--direct)', relayed: 'var(--relayed)', fallback: 'var(--fallback)' };
const HEALTH_COLOR: Record<string, string> = { active: 'var(--ok)', stale: 'var(--warn)', offline: 'var(--bad)' };

/** Positions nodes on a circle in peer-id order (stable across refreshes); one node sits centred. */
export function layoutNodes(ids: string[], w = W, h = H): Map<string, { x: number; y: number }> {
  const sorted = [...ids].sort();
  const r = Math.min(w, h) * 0.36;
  return new Map(sorted.map((id, i) => {
    if (sorted.length === 1) return [id, { x: w / 2, y: h / 2 }];
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / sorted.length;
    return [id, { x: w / 2 + r * Math.cos(angle), y: h / 2 + r * Math.sin(angle) }];
  }));
}

const short = (id: string) => (id.length > 14 ? `${id.slice(0, 13)}…` : id);

/**
 * The mesh as peers measured it: one line per reported link, coloured by tier, dashed while not
 * open, labelled with RTT. No link is drawn that no peer reported.
 */
export function TopologyGraph(props: { nodes: TopologyNode[]; edges: TopologyEdge[]; self: string }) {
  const ids = new Set(props.nodes.map((n) => n.peerId));
  ids.add(props.self);
  for (const e of props.edges) (ids.add(e.a), ids.add(e.b));
  const pos = layoutNodes([...ids]);
  const byId = new Map(props.nodes.map((n) => [n.peerId, n]));
  return (
    <div class="topology">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`mesh topology: ${ids.size} peers, ${props.edges.length} measured links`}>
        {props.edges.map((e) => {
          const a = pos.get(e.a)!;
          const b = pos.get(e.b)!;
          const open = e.state === 'open';
          return (
            <g key={`${e.a}|${e.b}`} data-edge={`${e.a}|${e.b}`} data-tier={e.tier} data-state={e.state} data-rtt={e.rttMs}>
              <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} stroke={TIER_COLOR[e.tier] ?? 'var(--muted)'} stroke-width={open ? 3 : 2}
                stroke-dasharray={open ? undefined : '6 5'} opacity={open ? 0.95 : 0.6} />
              {e.rttMs !== undefined && (
                <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 6} text-anchor="middle" fill="var(--text)" font-size="13"
                  paint-order="stroke" stroke="var(--panel)" stroke-width="4">{`${e.rttMs.toFixed(e.rttMs < 10 ? 1 : 0)} ms`}</text>
              )}
            </g>
          );
        })}
        {[...pos].map(([id, p]) => {
          const n = byId.get(id);
          const self = id === props.self;
          return (
            <g key={id} data-node={id} transform={`translate(${p.x} ${p.y})`}>
              <circle r={self ? 22 : 18} fill="var(--panel-2)" stroke={self ? 'var(--accent-2)' : 'var(--line)'} stroke-width={self ? 3 : 2} />
              <circle r="6" cx="13" cy="-13" fill={HEALTH_COLOR[n?.health ?? (self ? 'active' : 'offline')]} />
              <text y="5" text-anchor="middle" font-size="12" fill="var(--text)">{n?.agents.length ?? 0}</text>
              <text y={self ? 40 : 36} text-anchor="middle" font-size="12" fill="var(--muted)">{self ? `${short(id)} (you)` : short(id)}</text>
            </g>
          );
        })}
      </svg>
      <div class="legend">
        <span class="tier-direct">━ direct</span>
        <span class="tier-relayed">━ relayed (TURN)</span>
        <span class="tier-fallback">━ fallback (server)</span>
        <span class="tier-unknown">━ unknown (no stats yet)</span>
        <span class="muted">┄ not open · number = agents</span>
      </div>
    </div>
  );
}
