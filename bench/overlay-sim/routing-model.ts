import { decodeJson } from '../../web/mesh/channel/framing.ts';
import type { Clock } from '../../web/mesh/platform.ts';
import { createPeerOverlay, type PeerOverlay } from '../../web/mesh/routing/peer-overlay.ts';

/**
 * Routing over peers on the graph model's overlay: every model peer runs the mesh's own
 * `createPeerOverlay` (web/mesh/routing/peer-overlay.ts: the overlay table, the route announcer
 * and its deltas, the 256-entry cap, split horizon), its links come up and go as the graph model
 * makes and loses them, and its `routes` messages are JSON-encoded, carried in memory and
 * decoded as on a DataChannel. Time is virtual: an announce round (250 ms) runs when the
 * messages before it were delivered, and `drain` runs rounds until nobody has anything to say,
 * so each join or burst of leaves is counted on its own, like the paced mesh cores (no storm
 * batches several joins into one announcement). Modelled: a link is up at both ends at once and
 * verified; messages arrive in order, none lost.
 */
export interface RoutingCounts {
  messages: number;
  bytes: number;
  /** Entries carried (a whole announcement's peers, a delta's adds and drops). */
  entries: number;
}

export class RoutingModel {
  private readonly overlays = new Map<string, PeerOverlay>();
  private readonly links = new Set<string>();
  private readonly queue: Array<{ from: string; to: string; bytes: Uint8Array }> = [];
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private now = 0;
  private nextTimer = 0;
  readonly counts: RoutingCounts = { messages: 0, bytes: 0, entries: 0 };

  /** Virtual ms: when the last timer (an announce round) ran. */
  get time(): number {
    return this.now;
  }

  private readonly clock: Clock = {
    now: () => this.now,
    elapsed: () => this.now,
    set: (fn, ms) => (this.timers.set(++this.nextTimer, { at: this.now + ms, fn }), this.nextTimer),
    clear: (handle) => void this.timers.delete(handle as number),
  };

  private overlay(id: string): PeerOverlay {
    let o = this.overlays.get(id);
    if (!o) {
      o = createPeerOverlay({
        localId: () => id, clock: this.clock,
        sendTo: (to, bytes) => {
          if (!this.links.has(key(id, to))) return Promise.reject(new Error('not linked'));
          this.queue.push({ from: id, to, bytes });
          return Promise.resolve();
        },
        deliver: () => undefined,
        changed: () => undefined,
      });
      this.overlays.set(id, o);
    }
    return o;
  }

  linkUp(a: string, b: string): void {
    this.links.add(key(a, b));
    this.links.add(key(b, a));
    this.overlay(a).linkUp(b);
    this.overlay(b).linkUp(a);
  }

  linkDown(a: string, b: string): void {
    this.links.delete(key(a, b));
    this.links.delete(key(b, a));
    this.overlays.get(a)?.linkDown(b);
    this.overlays.get(b)?.linkDown(a);
  }

  /** The peer left: its overlay stops (its links went down before, one by one). */
  remove(id: string): void {
    this.overlays.get(id)?.stop();
    this.overlays.delete(id);
  }

  /** `from`'s best way to `dst` over peers now: neighbour and hops. */
  route(from: string, dst: string): { via: string; hops: number } | undefined {
    const r = this.overlays.get(from)?.best(dst);
    return r && { via: r.via, hops: r.hops };
  }

  /** Delivers every message and runs announce rounds until none is due; false if `maxRounds` was not enough. */
  async drain(maxRounds = 1000): Promise<boolean> {
    for (let rounds = 0; ; ) {
      // The announcer's failed sends and the overlay's notifications settle in microtasks.
      await new Promise(setImmediate);
      for (let m = this.queue.shift(); m; m = this.queue.shift()) this.deliver(m);
      await new Promise(setImmediate);
      if (this.queue.length) continue;
      if (this.timers.size === 0) return true;
      if (++rounds > maxRounds) return false;
      // The earliest due timers (every neighbour's round lands on one of a few instants).
      const at = Math.min(...[...this.timers.values()].map((t) => t.at));
      this.now = at;
      for (const [h, t] of [...this.timers]) if (t.at <= at) (this.timers.delete(h), t.fn());
    }
  }

  private deliver(m: { from: string; to: string; bytes: Uint8Array }): void {
    const value = decodeJson(m.bytes) as { peers?: unknown[]; add?: unknown[]; drop?: unknown[] };
    this.counts.messages++;
    this.counts.bytes += m.bytes.length;
    this.counts.entries += (value.peers?.length ?? 0) + (value.add?.length ?? 0) + (value.drop?.length ?? 0);
    // A link that went down while the message was queued takes it along, as a closing DataChannel would.
    if (this.links.has(key(m.from, m.to))) this.overlays.get(m.to)?.receive(m.from, value);
  }
}

const key = (a: string, b: string) => `${a}>${b}`;
