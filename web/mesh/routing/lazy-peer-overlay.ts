import type { PeerOverlay } from './peer-overlay.ts';
import type { RelayStats } from './relay-budget.ts';

/** A PeerOverlay whose code loads on demand, plus a way to run code once it has. */
export interface LazyPeerOverlay<T extends PeerOverlay = PeerOverlay> extends PeerOverlay {
  /** Runs `fn` with the loaded overlay: now if it is loaded, else after it loaded (in call order); `failed` if it could not load. */
  whenReady(fn: (overlay: T) => void, failed?: () => void): void;
}

const NO_STATS: RelayStats = { forwarded: 0, forwardedBytes: 0, refused: {}, inFlight: 0, inFlightBytes: 0, peakInFlightBytes: 0 };

/**
 * Routing over peers (`make` imports it: mesh-overlay.ts) loads with the first DataChannel (a page that never opens one never loads
 * it), so the browser library's first load stays small (docs/browser-library.md "Size"), as the
 * sealed relay does (lazy-relay-seal.ts). Calls made while it loads run in the order they were
 * made; until then nothing is known to route through (`best` answers undefined).
 */
export function createLazyPeerOverlay<T extends PeerOverlay>(make: () => Promise<T>): LazyPeerOverlay<T> {
  let real: T | undefined;
  let loading: Promise<T> | undefined;
  let stopped = false;
  const load = () =>
    (loading ??= make().then(
      (overlay) => {
        real = overlay;
        if (stopped) real.stop();
        return real;
      },
      (err: unknown) => {
        // A failed fetch of the chunk (offline): the next link tries again.
        loading = undefined;
        throw err;
      },
    ));
  const whenReady = (fn: (overlay: T) => void, failed?: () => void) => {
    if (real) return fn(real);
    load().then(fn, () => failed?.());
  };
  return {
    whenReady,
    linkUp: (id) => whenReady((r) => r.linkUp(id)),
    // Nothing to forget before anything was learnt.
    linkDown(id) {
      if (real || loading) whenReady((r) => r.linkDown(id));
    },
    receive: (from, value) => whenReady((r) => r.receive(from, value)),
    best: (dst) => real?.best(dst),
    send: (dst, body) => load().then((r) => r.send(dst, body)),
    get stats() {
      return real?.stats ?? NO_STATS;
    },
    stop() {
      stopped = true;
      real?.stop();
    },
  };
}
