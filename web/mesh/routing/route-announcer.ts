import { createTokenBucket } from '../../../protocol/token-bucket.ts';
import { validate } from '../../../protocol/index.ts';
import { ROUTE_SEQ_MAX, RouteAnnounceSchema, RouteDeltaSchema } from '../../../protocol/peer-routing.ts';
import type { OverlayTable } from './overlay-table.ts';
import { updateList } from './route-delta.ts';

/** Inbound announcements a neighbour may send per second (burst twice that); more are dropped. */
const ANNOUNCES_PER_SEC = 20;
/** After asking a neighbour for its whole table, ask again only after this long (its answer may be on the way). */
const RESYNC_RETRY_MS = 2000;

export interface RouteAnnouncerOptions {
  table: OverlayTable;
  /** Send and take deltas (default true); false: whole announcements only, as peers before them. */
  deltas: boolean;
  now(): number;
  /** Sends one `routes` message to neighbour `to` (rejects when its DataChannel is not open). */
  send(to: string, message: Record<string, unknown>): Promise<void>;
  /** An announce round is due (the overlay paces rounds). */
  schedule(): void;
}

/**
 * The `routes` messages of one peer (docs/protocol.md "Routing over peers"). To each neighbour:
 * first a whole announcement, then, if that neighbour's own whole announcement said
 * `deltas: true`, only what changed for it since we last told it (entries added or whose hops
 * changed, and withdrawals), each numbered. From each neighbour: whole announcements replace
 * its table, numbered deltas change it; a delta that does not follow the last one (a message
 * dropped by the rate limit or as malformed) is ignored, and we ask for a whole announcement
 * (`resync: true`). A DataChannel is reliable and ordered, so that is the only way to lose one.
 */
export interface RouteAnnouncer {
  /** One round: tells each neighbour what changed for it (nothing when nothing did). */
  round(): void;
  /** A `routes` message from neighbour `from`; true when the table may have changed. */
  receive(from: string, value: unknown): boolean;
  /** The DataChannel to `id` is gone: what we told it and heard from it no longer holds. */
  forget(id: string): void;
}

interface Outbound {
  /** What the neighbour holds from us (undefined: nothing yet, send a whole announcement). */
  told: Map<string, number> | undefined;
  seq: number;
  /** It said `deltas: true` in its last whole announcement. */
  deltas: boolean;
  /** It asked for a whole announcement. */
  whole: boolean;
  /** We ask it for a whole announcement in the next message. */
  ask: boolean;
}

interface Inbound {
  /** Number of the last message applied (undefined: we are out of step until a whole one comes). */
  seq: number | undefined;
  askedAt: number;
  bucket: ReturnType<typeof createTokenBucket>;
}

const nextSeq = (seq: number) => (seq >= ROUTE_SEQ_MAX ? 0 : seq + 1);
const toEntries = (list: ReadonlyArray<readonly [string, number]>) => list.map(([peer, hops]) => ({ peer, hops }));

export function createRouteAnnouncer(o: RouteAnnouncerOptions): RouteAnnouncer {
  const { table } = o;
  const out = new Map<string, Outbound>();
  const inb = new Map<string, Inbound>();

  const outbound = (id: string) => {
    let s = out.get(id);
    if (!s) out.set(id, (s = { told: undefined, seq: 0, deltas: false, whole: false, ask: false }));
    return s;
  };
  const inbound = (id: string) => {
    let s = inb.get(id);
    if (!s) inb.set(id, (s = { seq: undefined, askedAt: -Infinity, bucket: createTokenBucket(ANNOUNCES_PER_SEC, 2 * ANNOUNCES_PER_SEC, o.now) }));
    return s;
  };

  function send(to: string, s: Outbound, message: Record<string, unknown>): void {
    // A send that failed may or may not have arrived: the next round starts over with a whole one.
    o.send(to, message).catch(() => {
      if (out.get(to) !== s) return;
      s.told = undefined;
      o.schedule();
    });
  }

  function sendWhole(to: string, s: Outbound): void {
    const list = table.announcementFor(to);
    const next = new Map(list);
    if (s.told && !s.whole && !s.ask && sameEntries(s.told, next)) return;
    s.told = next;
    s.whole = false;
    s.seq = nextSeq(s.seq);
    const extra = o.deltas ? { deltas: true, seq: s.seq, ...(s.ask ? { resync: true } : {}) } : {};
    s.ask = false;
    send(to, s, { v: 1, type: 'routes', peers: toEntries(list), ...extra });
  }

  function sendDelta(to: string, s: Outbound, told: Map<string, number>, changed: ReadonlySet<string>): void {
    // Only the peers whose best ways changed can change what `to` is told (route-delta.ts), unless the cap cut the list.
    let delta = updateList(told, changed, (dst) => table.entryFor(to, dst));
    if (!delta) {
      const next = new Map(table.announcementFor(to));
      delta = { add: [...next].filter(([dst, d]) => told.get(dst) !== d), drop: [...told.keys()].filter((dst) => !next.has(dst)) };
      s.told = next;
    }
    if (!delta.add.length && !delta.drop.length && !s.ask) return;
    s.seq = nextSeq(s.seq);
    send(to, s, { v: 1, type: 'routes', seq: s.seq, add: toEntries(delta.add), drop: delta.drop, ...(s.ask ? { resync: true } : {}) });
    s.ask = false;
  }

  /** `from`'s announcements are no longer followed: ignore its deltas and ask for a whole one (not too often). */
  function lost(from: string, s: Inbound): void {
    s.seq = undefined;
    if (!o.deltas || o.now() - s.askedAt < RESYNC_RETRY_MS) return;
    s.askedAt = o.now();
    outbound(from).ask = true;
    o.schedule();
  }

  return {
    round() {
      const changed = table.takeChanged();
      for (const n of table.neighbours()) {
        const s = outbound(n);
        if (!s.told || !s.deltas || s.whole || !o.deltas) sendWhole(n, s);
        else sendDelta(n, s, s.told, changed);
      }
    },
    receive(from, value) {
      const s = inbound(from);
      const whole = typeof value === 'object' && value !== null && 'peers' in value;
      const r = whole ? validate(RouteAnnounceSchema, value) : o.deltas ? validate(RouteDeltaSchema, value) : undefined;
      if (!r) return false;
      if (!r.ok || !s.bucket.take()) return (lost(from, s), false);
      if (r.value.resync && o.deltas) ((outbound(from).whole = true), o.schedule());
      if ('peers' in r.value) {
        s.seq = r.value.seq;
        s.askedAt = -Infinity;
        outbound(from).deltas = r.value.deltas === true;
        return table.announce(from, r.value.peers.map((p) => [p.peer, p.hops] as const));
      }
      if (s.seq === undefined || r.value.seq !== nextSeq(s.seq)) return (lost(from, s), false);
      s.seq = r.value.seq;
      const applied = table.applyDelta(from, r.value.add.map((p) => [p.peer, p.hops] as const), r.value.drop);
      if (applied === undefined) return (lost(from, s), true);
      return applied;
    },
    forget(id) {
      out.delete(id);
      inb.delete(id);
    },
  };
}

function sameEntries(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, h] of a) if (b.get(k) !== h) return false;
  return true;
}
