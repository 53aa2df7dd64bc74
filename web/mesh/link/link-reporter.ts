import type { ClientFrame, IdentityFailure, Link } from '../../../protocol/index.ts';
import type { Clock } from '../platform.ts';
import type { PeerRoute, RouteInfo } from '../routing/peer-route.ts';

/**
 * Sends `link-report` frames for the server's topology view: every `intervalMs` (after refreshing
 * RTTs) and shortly after any change (debounced), so the hub sees real links, not an assumed mesh.
 * A server that stores link changes only while someone reads the topology (`watch` on welcome and
 * presence) gets them only then; otherwise a periodic report every UNWATCHED_REPORT_MS keeps the
 * stored view alive for one-off readers.
 */
export interface LinkReporter {
  /** A link changed; report soon. */
  changed(): void;
  /** A link is gone; it is reported as closed for CLOSED_KEEP_MS (the server keeps only each peer's latest report). */
  closed(info: RouteInfo): void;
  /** A peer failed the link proof; reported once (the server counts it). */
  identityFailed(failure: IdentityFailure): void;
  stop(): void;
}

const DEBOUNCE_MS = 250;
/**
 * Change-triggered reports are at least this far apart: a burst of link changes (a join, a batch of
 * links opening) costs the server one report per peer, not one per change.
 */
export const REPORT_GAP_MS = 5_000;
const MAX_LINKS = 512;
/** Periodic reports while nobody watches the topology: within the server's report lifetime (60 s). */
export const UNWATCHED_REPORT_MS = 30_000;
/** How long a gone link stays in reports as `closed`: the server's report lifetime, so its topology shows the close until the other end's reports age out too. */
const CLOSED_KEEP_MS = 60_000;

/** `send` puts the frame on the signaling socket (false when offline); `probe` refreshes RTTs. */
export function createLinkReporter(o: {
  clock: Clock;
  intervalMs: number;
  /** Until when the server wants every change reported (epoch ms); undefined: always (an older server). */
  watch: () => number | undefined;
  collect: () => RouteInfo[];
  send: (links: Link[], identityFailures: IdentityFailure[]) => boolean;
  probe: () => Promise<void>;
}): LinkReporter {
  let gone: Array<{ info: RouteInfo; at: number }> = [];
  let failures: IdentityFailure[] = [];
  let soon: unknown;
  let stopped = false;
  let lastSent = -Infinity;
  // What the last report said about each link (peer, state, tier): a change the report would not
  // show (a routed route's hop count, an RTT) waits for the periodic report.
  let lastShape = '';
  // The watch our last report answered: a new one (a hub opened the topology) gets a fresh report.
  let answered: number | undefined;
  const watched = () => {
    const w = o.watch();
    return w === undefined || w > clock.now();
  };

  const toLink = (i: RouteInfo, state = i.state): Link => ({
    peer: i.peerId,
    state,
    tier: i.tier,
    ...(i.rttMs === undefined ? {} : { rttMs: Math.min(600_000, Math.max(0, Math.round(i.rttMs * 1000) / 1000)) }),
    bytesSent: i.bytesSent,
    bytesReceived: i.bytesReceived,
  });

  function report(periodic?: boolean): void {
    clock.clear(soon);
    soon = undefined;
    if (stopped) return;
    const now = clock.now();
    const current = o.collect();
    const live = new Set(current.map((i) => i.peerId));
    gone = gone.filter((g) => now - g.at < CLOSED_KEEP_MS && !live.has(g.info.peerId));
    const links = [...gone.map((g) => toLink(g.info, 'closed')), ...current.map((i) => toLink(i))].slice(0, MAX_LINKS);
    const shape = links.map((l) => `${l.peer} ${l.state} ${l.tier}`).join();
    const watch = o.watch();
    if (!periodic && !failures.length && shape === lastShape && watch === answered) return;
    if (o.send(links, failures)) {
      lastSent = now;
      lastShape = shape;
      answered = watch;
      failures = [];
    }
  }

  const { clock } = o;
  const started = clock.now();
  let tick: unknown;
  const loop = () => {
    tick = clock.set(() => {
      // Unwatched, the first report too waits its 30 s: a join storm nobody watches costs no burst of reports.
      if (!watched() && clock.now() - Math.max(lastSent, started) < UNWATCHED_REPORT_MS) return loop();
      void o.probe().finally(() => {
        if (!stopped) (report(true), loop());
      });
    }, o.intervalMs);
  };
  loop();

  return {
    changed() {
      // Unwatched, a change waits for the periodic report; a peer's identity failure never does.
      if (!watched() && !failures.length) return;
      if (soon === undefined && !stopped) soon = clock.set(() => report(), Math.max(DEBOUNCE_MS, lastSent + REPORT_GAP_MS - clock.now()));
    },
    closed(info) {
      gone = [...gone.filter((g) => g.info.peerId !== info.peerId), { info, at: clock.now() }].slice(-MAX_LINKS);
      this.changed();
    },
    identityFailed(failure) {
      // Bounded like the frame field (64): a flood of impostors is counted up to that per report.
      if (failures.length < 64) failures.push(failure);
      this.changed();
    },
    stop() {
      stopped = true;
      clock.clear(soon);
      clock.clear(tick);
    },
  };
}

/** What the mesh hands over; the collect/send/probe glue lives here, in the reporter's own chunk, not in a page's first load. */
export interface MeshReporterOptions {
  clock: Clock;
  intervalMs: number;
  watch: () => number | undefined;
  routes: ReadonlyMap<string, PeerRoute>;
  send: (frame: ClientFrame) => boolean;
  ping: (peerId: string) => Promise<unknown>;
}

/** The reporter for a mesh: its links with a DataChannel (or on the fallback tier), RTTs refreshed by pings. */
export function createMeshLinkReporter(o: MeshReporterOptions): LinkReporter {
  const routes = () => [...o.routes.values()];
  return createLinkReporter({
    clock: o.clock,
    intervalMs: o.intervalMs,
    watch: o.watch,
    collect: () => routes().map((r) => r.info).filter((i) => i.sessions > 0 || i.tier === 'fallback'),
    send: (links, identityFailures) => o.send({ type: 'link-report', payload: { links, ...(identityFailures.length ? { identityFailures } : {}) } }),
    probe: async () => {
      await Promise.all(routes().filter((r) => r.info.state === 'open').map((r) => o.ping(r.peerId).catch(() => undefined)));
    },
  });
}
