import { createTokenBucket } from '../../../protocol/token-bucket.ts';
import { MAX_ROUTE_HOPS, validate } from '../../../protocol/index.ts';
import { HopSchema, type Hop } from '../../../protocol/peer-routing.ts';
import { encodeJson } from '../channel/framing.ts';
import { MeshError } from '../errors.ts';
import { randomId, type Clock } from '../platform.ts';
import { createOverlayTable, type NextHop } from './overlay-table.ts';
import { createRouteAnnouncer } from './route-announcer.ts';
import { createRelayBudget, DEFAULT_RELAY_BYTES_PER_SEC, type RelayBudgetOptions, type RelayStats } from './relay-budget.ts';

export type { RelayStats } from './relay-budget.ts';

/** A way to a peer over others, and a token that changes whenever that way is replaced. */
export interface OverlayRoute extends NextHop {
  generation: string;
}

export interface PeerOverlayOptions {
  localId(): string | undefined;
  clock: Clock;
  /** Sends link-level bytes to neighbour `id` on its verified DataChannel (rejects when it is not open). */
  sendTo(id: string, bytes: Uint8Array): Promise<void>;
  /** A routed payload for us from `src` (a seal-hello or sealed frame; its route checks it). */
  deliver(src: string, body: unknown): void;
  /** The table changed: routes to `peers` may now pick another way (or none). */
  changed(peers: ReadonlySet<string>): void;
  budget?: RelayBudgetOptions;
  /**
   * Bytes per second this peer originates through one neighbour (default half the relay default):
   * sources pace themselves below what relays forward, so a relay refuses only abusers.
   */
  sendBytesPerSec?: number;
  /** At most one `routes` announcement per neighbour per this many ms (default 250). */
  announceMs?: number;
  /**
   * Announce by delta to neighbours that take them (default true); false: whole announcements
   * only, exactly as peers before deltas (for compatibility tests).
   */
  deltas?: boolean;
}

/**
 * The mesh's half of routing over peers (the `routed` tier): keeps the overlay table from the
 * neighbours' `routes` announcements and announces ours, originates `hop` payloads, delivers the
 * ones addressed here and forwards the others within the relay budget. Forwarding is loop-free
 * (a peer already on the path is never chosen, a payload id is forwarded once) and bounded
 * (TTL ≤ MAX_ROUTE_HOPS, bytes/s and payloads in flight per neighbour, a size cap).
 */
export interface PeerOverlay {
  /** A verified DataChannel to `id` opened (idempotent). */
  linkUp(id: string): void;
  /** The DataChannel to `id` is gone (idempotent). */
  linkDown(id: string): void;
  /** A link-level message (`routes` or `hop`) from neighbour `from`. */
  receive(from: string, value: unknown): void;
  /** The best way to `dst` over other peers, if any. */
  best(dst: string): OverlayRoute | undefined;
  /** Sends one sealed payload to `dst` over other peers; rejects with `link-down` when there is no way. */
  send(dst: string, body: unknown): Promise<OverlayRoute>;
  readonly stats: RelayStats;
  stop(): void;
}

/** Creates the overlay; nothing is sent until a neighbour's link comes up. */
export function createPeerOverlay(o: PeerOverlayOptions): PeerOverlay {
  const table = createOverlayTable(o.localId);
  const budget = createRelayBudget(o.clock.now, o.budget);
  const announceMs = o.announceMs ?? 250;
  /** Neighbour → link epoch: a neighbour that came back is another way, even if named the same. */
  const epochs = new Map<string, number>();
  const sendRate = o.sendBytesPerSec ?? DEFAULT_RELAY_BYTES_PER_SEC / 2;
  const sendBuckets = new Map<string, ReturnType<typeof createTokenBucket>>();
  const idPrefix = randomId(10);
  let counter = 0;
  let epoch = 0;
  let timer: unknown;
  let stopped = false;

  /**
   * Routes re-pick once per burst of table changes (an announcement can touch many), not per
   * change, and only those whose best way changed: re-picking every route on every
   * announcement was most of a join's CPU in a 100-peer mesh (bench/overlay-sim). A link
   * coming up changes no way until the neighbour announces; one going down reroutes exactly
   * the peers reached through it.
   */
  let notifying = false;
  const rerouted = new Set<string>();
  function notify(): void {
    for (const id of table.takeRerouted()) rerouted.add(id);
    if (notifying || rerouted.size === 0) return;
    notifying = true;
    void Promise.resolve().then(() => {
      const peers = new Set(rerouted);
      notifying = false;
      rerouted.clear();
      if (!stopped) o.changed(peers);
    });
  }

  const announcer = createRouteAnnouncer({
    table,
    deltas: o.deltas ?? true,
    now: o.clock.now,
    send: (to, message) => o.sendTo(to, encodeJson(message)),
    schedule: () => scheduleAnnounce(),
  });

  function scheduleAnnounce(): void {
    if (timer !== undefined || stopped) return;
    timer = o.clock.set(() => {
      timer = undefined;
      announcer.round();
    }, announceMs);
  }

  /** Waits until `bytes` fit the pace towards `via` (waits, never drops: these are our own messages). */
  async function pace(via: string, bytes: number): Promise<void> {
    let bucket = sendBuckets.get(via);
    if (!bucket) sendBuckets.set(via, (bucket = createTokenBucket(sendRate, Math.max(sendRate, bytes), o.clock.now)));
    while (!bucket.take(Math.min(bytes, sendRate))) await new Promise<void>((resolve) => o.clock.set(resolve, Math.max(1, bucket!.waitFor(Math.min(bytes, sendRate)))));
  }

  const routeOf = (h: NextHop): OverlayRoute => ({ ...h, generation: `routed:${h.via}#${epochs.get(h.via) ?? 0}:${h.hops}` });

  function forward(from: string, hop: Hop): void {
    const me = o.localId();
    if (!me) return;
    if (hop.path[0] !== hop.src || hop.path[hop.path.length - 1] !== from) return budget.refuse('bad-hop');
    if (hop.dst === me) return o.deliver(hop.src, hop.body);
    if (hop.path.includes(me)) return budget.refuse('loop');
    if (hop.ttl < 2 || hop.path.length >= MAX_ROUTE_HOPS) return budget.refuse('ttl');
    const avoid = new Set(hop.path);
    const next = table.nextHops(hop.dst, avoid).find((h) => h.hops <= hop.ttl - 1);
    if (!next) return budget.refuse('no-route');
    const bytes = encodeJson({ ...hop, ttl: hop.ttl - 1, path: [...hop.path, me] });
    if (budget.admit(`${hop.src}|${hop.id}`, from, bytes.length)) return;
    const done = () => budget.release(from, bytes.length);
    o.sendTo(next.via, bytes).then(done, done);
  }

  return {
    linkUp(id) {
      if (!table.linkUp(id)) return;
      epochs.set(id, ++epoch);
      scheduleAnnounce();
    },
    linkDown(id) {
      if (!table.linkDown(id)) return;
      announcer.forget(id);
      sendBuckets.delete(id);
      budget.forget(id);
      scheduleAnnounce();
      notify();
    },
    receive(from, value) {
      if (stopped || !table.isNeighbour(from)) return;
      const type = (value as { type?: unknown } | null)?.type;
      if (type === 'hop') {
        const hop = validate(HopSchema, value);
        return hop.ok ? forward(from, hop.value) : budget.refuse('bad-hop');
      }
      if (type === 'routes' && announcer.receive(from, value)) (scheduleAnnounce(), notify());
    },
    best(dst) {
      const h = table.best(dst);
      return h && routeOf(h);
    },
    async send(dst, body) {
      const me = o.localId();
      const h = me && table.best(dst);
      if (!me || !h) throw new MeshError('link-down', `no route to "${dst}" over other peers`, { peerId: dst });
      const hop: Hop = { v: 1, type: 'hop', id: `${idPrefix}.${(++counter).toString(36)}`, src: me, dst, ttl: MAX_ROUTE_HOPS, path: [me], body };
      const bytes = encodeJson(hop);
      await pace(h.via, bytes.length);
      await o.sendTo(h.via, bytes);
      return routeOf(h);
    },
    get stats() {
      return budget.stats;
    },
    stop() {
      stopped = true;
      o.clock.clear(timer);
    },
  };
}
