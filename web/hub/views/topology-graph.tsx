import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { TopologyNode } from '../../../protocol/index.ts';
import { formatRtt, type MeshLink } from '../state/mesh-links.ts';
import { shortId, type PeerName } from '../state/peer-names.ts';
import { byName } from '../state/text-order.ts';

const TIER_COLOR: Record<string, string> = { direct: 'var(--direct)', relayed: 'var(--relayed)', routed: 'var(--routed)', fallback: 'var(--fallback)' };
const HEALTH_COLOR: Record<string, string> = { active: 'var(--ok)', stale: 'var(--warn)', offline: 'var(--bad)' };
/** Beyond this many peers a ring's labels collide: the view switches to a list. */
export const graphLimit = (width: number) => (width < 520 ? 8 : 14);
const LINKS_SHOWN = 40;
/** When this page first saw each link (`a|b`), for an append-only list order. */
const firstSeen = new Map<string, number>();

/** Positions nodes on a circle in peer-id order (stable across refreshes); one node sits centred. */
export function layoutNodes(ids: string[], w: number, h: number, r: number): Map<string, { x: number; y: number; angle: number }> {
  const sorted = [...ids].sort();
  return new Map(sorted.map((id, i) => {
    if (sorted.length === 1) return [id, { x: w / 2, y: h / 2, angle: Math.PI / 2 }];
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / sorted.length;
    return [id, { x: w / 2 + r * Math.cos(angle), y: h / 2 + r * Math.sin(angle), angle }];
  }));
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, Math.max(1, n - 1))}…` : s);
/** Roughly what 13 px system-ui text needs per character. */
const CHAR_PX = 7.6;

/** The element's CSS width, kept current; the SVG is drawn in CSS pixels so text stays 13 px on a phone. */
function useWidth(): [preact.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  // Measured by the ResizeObserver alone: its first callback comes after layout and before the
  // first paint (so the ring never flashes in as a list), where reading clientWidth here would
  // force a layout inside the render's task (a long task on a throttled phone: bench hub-phone).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

function Ring(props: { ids: string[]; width: number; links: MeshLink[]; names: Map<string, PeerName>; nodes: Map<string, TopologyNode>; self: string }) {
  const W = props.width;
  const H = Math.round(Math.min(420, Math.max(260, W * 0.7)));
  // Side labels need ~110 px; top and bottom ones a line each.
  const r = Math.max(40, Math.min(W / 2 - 120, H / 2 - 44));
  const pos = layoutNodes(props.ids, W, H, r);
  return (
    <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`mesh topology: ${props.ids.length} peers, ${props.links.length} measured links (listed below)`}>
      {props.links.map((e) => {
        const a = pos.get(e.a);
        const b = pos.get(e.b);
        if (!a || !b) return null;
        const open = e.state === 'open';
        return (
          <g key={`${e.a}|${e.b}`} data-edge={`${e.a}|${e.b}`} data-tier={e.tier} data-state={e.state} data-rtt={e.rttMs} data-reported={e.reported || undefined}>
            <title>{`${props.names.get(e.a)?.name ?? shortId(e.a)} ↔ ${props.names.get(e.b)?.name ?? shortId(e.b)}: ${e.tier}, ${e.state}${e.rttMs !== undefined ? `, ${formatRtt(e.rttMs)}` : ''}`}</title>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} stroke={TIER_COLOR[e.tier] ?? 'var(--muted)'} stroke-width={open ? 3 : 2}
              stroke-dasharray={open ? undefined : '6 5'} opacity={open ? 0.95 : 0.6} />
          </g>
        );
      })}
      {[...pos].map(([id, p]) => {
        const n = props.nodes.get(id);
        const self = id === props.self;
        const c = Math.cos(p.angle);
        const s = Math.sin(p.angle);
        const single = props.ids.length === 1;
        // Labels sit outside the ring, anchored away from the centre, so they never cross a link.
        const anchor = single || Math.abs(c) < 0.35 ? 'middle' : c > 0 ? 'start' : 'end';
        const lx = single ? 0 : c * 30;
        const ly = single ? 40 : Math.abs(c) < 0.35 ? (s < 0 ? -30 : 38) : s * 26 + 4;
        const name = props.names.get(id);
        // As many characters as fit between the label's anchor and the edge of the drawing.
        const room = anchor === 'end' ? p.x + lx : anchor === 'start' ? W - (p.x + lx) : 2 * Math.min(p.x, W - p.x);
        const label = clip(name?.name ?? shortId(id), Math.min(18, Math.floor((room - 4) / CHAR_PX)));
        return (
          <g key={id} data-node={id} data-name={name?.name} transform={`translate(${p.x} ${p.y})`}>
            <title>{`${name?.name ?? id}${name?.detail ? ` (${name.detail})` : ''}\n${id}`}</title>
            <circle r={self ? 20 : 17} fill="var(--panel-2)" stroke={self ? 'var(--accent-2)' : 'var(--line)'} stroke-width={self ? 3 : 2} />
            <circle r="5" cx="12" cy="-12" fill={HEALTH_COLOR[n?.health ?? (self ? 'active' : 'offline')]} />
            <text y="5" text-anchor="middle" font-size="13" fill="var(--text)">{n?.agents.length ?? 0}</text>
            <text x={lx} y={ly} text-anchor={anchor} font-size="13" fill="var(--text)">{label}</text>
          </g>
        );
      })}
    </svg>
  );
}

/** Peers as a list where a ring would be unreadable; the same height as the ring, so switching never shifts the page. */
function NodeGrid(props: { ids: string[]; names: Map<string, PeerName>; nodes: Map<string, TopologyNode>; self: string }) {
  const sorted = [...props.ids].sort((a, b) => (a === props.self ? -1 : b === props.self ? 1 : byName(props.names.get(a)?.name ?? a, props.names.get(b)?.name ?? b)));
  return (
    <ul class="node-grid small" tabIndex={0} aria-label={`${props.ids.length} peers`}>
      {sorted.map((id) => {
        const n = props.nodes.get(id);
        return (
          <li key={id} data-node={id} data-name={props.names.get(id)?.name} title={id}>
            <span class={`dot ${n?.health ?? (id === props.self ? 'active' : 'offline')}`} /> {props.names.get(id)?.name ?? shortId(id)}
            <span class="muted"> · {n?.agents.length ?? 0}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** Every link in words, the graph's readable twin (and the only view beyond `graphLimit` peers). */
function LinkList(props: { links: MeshLink[]; names: Map<string, PeerName> }) {
  if (!props.links.length) return <p class="muted small">No links measured yet.</p>;
  const name = (id: string) => props.names.get(id)?.name ?? shortId(id);
  // In the order links first appeared: a new one appends instead of pushing rows down while
  // someone reads (layout shift).
  for (const l of props.links) if (!firstSeen.has(`${l.a}|${l.b}`)) firstSeen.set(`${l.a}|${l.b}`, firstSeen.size);
  const sorted = [...props.links].sort((x, y) => firstSeen.get(`${x.a}|${x.b}`)! - firstSeen.get(`${y.a}|${y.b}`)!);
  return (
    <ul class="links small" data-testid="link-list" tabIndex={0} aria-label="links between peers">
      {sorted.slice(0, LINKS_SHOWN).map((l) => (
        <li key={`${l.a}|${l.b}`} data-link={`${l.a}|${l.b}`} data-rtt={l.rttMs}>
          <span class={`dot ${l.state}`} /> <span title={l.a}>{name(l.a)}</span> ↔ <span title={l.b}>{name(l.b)}</span>
          <span class={`tier-${l.tier}`}>{l.tier}</span>
          {l.state !== 'open' && <span class="muted">{l.state}</span>}
          {l.rttMs !== undefined && <span class="muted">{formatRtt(l.rttMs)}</span>}
        </li>
      ))}
      {sorted.length > LINKS_SHOWN && <li class="muted">and {sorted.length - LINKS_SHOWN} more links</li>}
    </ul>
  );
}

/**
 * The mesh as peers measured it: one line per reported link, coloured by tier, dashed while not
 * open. No link is drawn that no peer reported. RTTs are in the list under the graph (and the
 * lines' tooltips), never on the lines, where they would collide.
 */
export function TopologyGraph(props: { ids: string[]; nodes: TopologyNode[]; links: MeshLink[]; names: Map<string, PeerName>; self: string }) {
  const [ref, width] = useWidth();
  const nodes = new Map(props.nodes.map((n) => [n.peerId, n]));
  const asGraph = width > 0 && props.ids.length <= graphLimit(width);
  return (
    <div class="topology" ref={ref} data-layout={asGraph ? 'graph' : 'list'}>
      {asGraph
        ? <Ring ids={props.ids} width={width} links={props.links} names={props.names} nodes={nodes} self={props.self} />
        : <NodeGrid ids={props.ids} names={props.names} nodes={nodes} self={props.self} />}
      <div class="legend">
        <span class="tier-direct">━ direct</span>
        <span class="tier-relayed">━ relayed (TURN)</span>
        <span class="tier-routed">━ routed (through peers)</span>
        <span class="tier-fallback">━ fallback (server)</span>
        <span class="tier-unknown">━ unknown (no stats yet)</span>
        <span class="muted">┄ not open · number = agents</span>
      </div>
      {asGraph
        ? <LinkList links={props.links} names={props.names} />
        : (
          // Folded where the peers are many: dozens of rows would push the page around as links arrive.
          <details class="link-details small">
            <summary>{props.links.length} links between peers</summary>
            <LinkList links={props.links} names={props.names} />
          </details>
        )}
    </div>
  );
}
