import type { IdentityFailure, Link } from '../../../protocol/index.ts';
import type { Clock } from '../platform.ts';
import type { RouteInfo } from '../routing/peer-route.ts';

/**
 * Sends `link-report` frames for the server's topology view: every `intervalMs` (after refreshing
 * RTTs) and shortly after any change (debounced), so the hub sees real links, not an assumed mesh.
 */
export interface LinkReporter {
  /** A link changed; report soon. */
  changed(): void;
  /** A link is gone; it is reported once as closed. */
  closed(info: RouteInfo): void;
  /** A peer failed the link proof; reported once (the server counts it). */
  identityFailed(failure: IdentityFailure): void;
  stop(): void;
}

const DEBOUNCE_MS = 250;
const MAX_LINKS = 512;

/** `send` puts the frame on the signaling socket (false when offline); `probe` refreshes RTTs. */
export function createLinkReporter(o: {
  clock: Clock;
  intervalMs: number;
  collect: () => RouteInfo[];
  send: (links: Link[], identityFailures: IdentityFailure[]) => boolean;
  probe: () => Promise<void>;
}): LinkReporter {
  let gone: RouteInfo[] = [];
  let failures: IdentityFailure[] = [];
  let soon: unknown;
  let stopped = false;

  const toLink = (i: RouteInfo, state = i.state): Link => ({
    peer: i.peerId,
    state,
    tier: i.tier,
    ...(i.rttMs === undefined ? {} : { rttMs: Math.min(600_000, Math.max(0, Math.round(i.rttMs * 1000) / 1000)) }),
    bytesSent: i.bytesSent,
    bytesReceived: i.bytesReceived,
  });

  function report(): void {
    clock.clear(soon);
    soon = undefined;
    if (stopped) return;
    const links = [...gone.map((i) => toLink(i, 'closed')), ...o.collect().map((i) => toLink(i))].slice(0, MAX_LINKS);
    if (o.send(links, failures)) {
      gone = [];
      failures = [];
    }
  }

  const { clock } = o;
  let tick: unknown;
  const loop = () => {
    tick = clock.set(() => {
      void o.probe().finally(() => {
        if (!stopped) (report(), loop());
      });
    }, o.intervalMs);
  };
  loop();

  return {
    changed() {
      if (soon === undefined && !stopped) soon = clock.set(report, DEBOUNCE_MS);
    },
    closed(info) {
      gone.push(info);
      if (gone.length > MAX_LINKS) gone = gone.slice(-MAX_LINKS);
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
