import { decodeJson } from '../../web/mesh/channel/framing.ts';
import { createPeerOverlay, type PeerOverlay } from '../../web/mesh/routing/peer-overlay.ts';
import type { RelayBudgetOptions } from '../../web/mesh/routing/relay-budget.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

/** One message one overlay sent another, decoded. */
export type Wire = { from: string; to: string; value: Record<string, unknown> };

export interface OverlayNetworkOptions {
  budget?: RelayBudgetOptions;
  /** Peers that announce whole tables only (as peers before deltas). */
  old?: string[];
  /** May drop a message or hold it back until `release()`. */
  tamper?: (w: Wire) => 'drop' | 'hold' | undefined;
  /** Announce intervals (100 ms each) `settle()` runs. */
  rounds?: number;
}

/**
 * Overlays wired into a graph in memory, for the overlay's unit tests: `sendTo` hands the bytes
 * to the neighbour's `receive` (or fails with link-down on a cut link), on a fake clock.
 */
export function overlayNetwork(edges: Array<[string, string]>, opts: OverlayNetworkOptions = {}) {
  const { clock, advance } = createFakeClock();
  const wire: Wire[] = [];
  const held: Wire[] = [];
  const delivered: Array<{ at: string; src: string; body: unknown }> = [];
  const nodes = new Map<string, PeerOverlay>();
  const up = new Set(edges.flatMap(([a, b]) => [`${a}>${b}`, `${b}>${a}`]));
  const make = (id: string) => createPeerOverlay({
    localId: () => id,
    clock,
    announceMs: 100,
    budget: opts.budget,
    deltas: !opts.old?.includes(id),
    sendTo: async (to, bytes) => {
      if (!up.has(`${id}>${to}`)) throw new Error('link-down');
      const w = { from: id, to, value: decodeJson(bytes) as Record<string, unknown> };
      wire.push(w);
      const fate = opts.tamper?.(w);
      if (fate === 'hold') held.push(w);
      else if (fate !== 'drop') queueMicrotask(() => nodes.get(to)!.receive(id, w.value));
    },
    deliver: (src, body) => delivered.push({ at: id, src, body }),
    changed: () => undefined,
  });
  const link = (a: string, b: string) => (up.add(`${a}>${b}`), up.add(`${b}>${a}`), nodes.get(a)!.linkUp(b), nodes.get(b)!.linkUp(a));
  for (const id of new Set(edges.flat())) nodes.set(id, make(id));
  for (const [a, b] of edges) link(a, b);
  const settle = async () => {
    for (let i = 0; i < (opts.rounds ?? 20); i++) (advance(100), await Promise.resolve(), await new Promise((r) => setImmediate(r)));
  };
  const cut = (a: string, b: string) => (up.delete(`${a}>${b}`), up.delete(`${b}>${a}`), nodes.get(a)!.linkDown(b), nodes.get(b)!.linkDown(a));
  const release = () => held.splice(0).forEach((w) => nodes.get(w.to)!.receive(w.from, w.value));
  /** Every node's best way to every other, for comparing two networks. */
  const ways = () => Object.fromEntries([...nodes].map(([id, n]) => [id, Object.fromEntries([...nodes.keys()].filter((d) => d !== id).map((d) => [d, n.best(d) && { via: n.best(d)!.via, hops: n.best(d)!.hops }]))]));
  return { nodes, wire, delivered, settle, cut, link, release, ways };
}
