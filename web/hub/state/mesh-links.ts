import { computed } from '@preact/signals';
import type { Tier } from '../../../protocol/index.ts';
import { topology } from './control-state.ts';
import { links } from './mesh-state.ts';
import { selfPeerId } from './peer-names.ts';

/** One link between two peers, as every view shows it. */
export interface MeshLink {
  a: string;
  b: string;
  state: string;
  tier: Tier;
  rttMs?: number;
  /** A peer reported it to the server (GET /api/topology), not only this tab's own view. */
  reported: boolean;
}

/**
 * The links of the mesh, one source for the graph, the link list and the peer list: what peers
 * reported (GET /api/topology), with this tab's own links replaced by its live measurement (the
 * freshest figure there is), so one link never shows two RTTs.
 */
export const meshLinks = computed(() => {
  const self = selfPeerId.value;
  const out = new Map<string, MeshLink>();
  const key = (x: string, y: string) => (x < y ? `${x}|${y}` : `${y}|${x}`);
  for (const e of topology.value.edges) {
    out.set(key(e.a, e.b), { a: e.a, b: e.b, state: e.state, tier: e.tier, reported: true, ...(e.rttMs !== undefined ? { rttMs: e.rttMs } : {}) });
  }
  if (self) {
    for (const l of links.value.values()) {
      if (l.identity === 'refused') continue;
      const [a, b] = self < l.peerId ? [self, l.peerId] : [l.peerId, self];
      out.set(key(a, b), { a, b, state: l.state, tier: l.tier, reported: out.has(key(a, b)), ...(l.rttMs !== undefined ? { rttMs: l.rttMs } : {}) });
    }
  }
  return [...out.values()];
});

/** The RTT of the link between `a` and `b`, from `meshLinks`. */
export function rttBetween(a: string, b: string): number | undefined {
  return meshLinks.value.find((l) => (l.a === a && l.b === b) || (l.a === b && l.b === a))?.rttMs;
}

/** One format everywhere: `0.8 ms`, `12 ms`. */
export function formatRtt(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
